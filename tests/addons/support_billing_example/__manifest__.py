{
    "name": "Support Billing Example (test only)",
    "summary": "Extends the billing engine as a partner would: pack order, urgent surcharge, an "
    "extra invoice-line field. Installed by scripts/test.sh only, never in production.",
    "version": "19.0.1.0.0",
    "category": "Hidden/Tests",
    "website": "https://github.com/cloudworkz/support-suite",
    "author": "Cloudworkz",
    "license": "LGPL-3",
    "depends": ["support_timesheet"],
    "data": [],
    "installable": True,
}
