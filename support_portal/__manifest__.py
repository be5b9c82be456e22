{
    "name": "Support Portal",
    "summary": "Customers raise support requests, see coverage decisions, agreements and "
    "hour packs, and approve held work in the portal",
    "version": "19.0.1.0.0",
    "category": "Services/Support",
    "website": "https://github.com/cloudworkz/support-suite",
    "author": "Cloudworkz",
    "license": "LGPL-3",
    "depends": ["support_contract", "support_timesheet", "portal"],
    "data": [],
    "demo": [],
    "installable": True,
}
