{
    "name": "Support Agreements and Coverage",
    "summary": "Support agreements, service catalog and server-side coverage decisions "
    "for customer tickets",
    "version": "19.0.1.0.0",
    "category": "Services/Support",
    "website": "https://github.com/cloudworkz/support-suite",
    "author": "Cloudworkz",
    "license": "LGPL-3",
    "depends": ["mail"],
    "data": [
        "security/support_security.xml",
        "security/ir.model.access.csv",
        "security/support_rules.xml",
        "data/ir_sequence_data.xml",
        "data/support_agreement_type_data.xml",
        "data/support_service_category_data.xml",
        "data/support_ticket_stage_data.xml",
        "data/ir_cron_data.xml",
    ],
    "demo": [],
    "application": True,
    "installable": True,
}
