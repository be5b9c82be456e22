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
    "data": [
        "security/ir.model.access.csv",
        "security/support_portal_rules.xml",
        "security/support_portal_statement_rules.xml",
        "data/mail_message_subtype_data.xml",
        "data/mail_template_data.xml",
        "data/ir_cron_data.xml",
        "views/support_ticket_views.xml",
        "views/portal_templates.xml",
        "views/portal_statement_templates.xml",
        "views/portal_time_templates.xml",
        "views/portal_sla_templates.xml",
    ],
    "demo": ["demo/support_portal_demo.xml"],
    "assets": {
        "web.assets_frontend": [
            "support_portal/static/src/interactions/**/*",
        ],
        "web.assets_tests": [
            "support_portal/static/tests/tours/**/*",
        ],
    },
    "installable": True,
}
