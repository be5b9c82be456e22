{
    "name": "Support Timesheets and Billing",
    "summary": "Time on support tickets, prepaid hour packs, per-request minimum and "
    "invoicing of billable support from timesheets",
    "version": "19.0.1.0.0",
    "category": "Services/Support",
    "website": "https://github.com/cloudworkz/support-suite",
    "author": "Cloudworkz",
    "license": "LGPL-3",
    "depends": ["support_contract", "hr_timesheet", "account"],
    "data": [],
    "demo": [],
    "installable": True,
}
