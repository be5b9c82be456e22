{
    "name": "Support Dashboard",
    "summary": "A Support dashboard in Odoo's spreadsheet dashboards: requests, covered and "
    "billable hours, packs running low, leaks and invoicing to do",
    "version": "19.0.1.0.0",
    "category": "Productivity/Dashboard",
    "website": "https://github.com/cloudworkz/support-suite",
    "author": "Cloudworkz",
    "license": "LGPL-3",
    "depends": ["support_timesheet", "spreadsheet_dashboard"],
    "data": ["data/dashboards.xml"],
    "installable": True,
    "auto_install": True,
}
