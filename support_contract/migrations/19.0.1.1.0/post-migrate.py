"""Existing databases get what a new one gets at installation (the data is noupdate): the
monthly infrastructure patch category of each company and what the seeded agreement types
patch on the environments they cover, and the seeded *Waiting for Customer* stage pauses the
service-level clock."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.company"]._support_set_default_patch_category()
    env["support.agreement.type"]._support_set_default_environment_patch_types()
    stage = env.ref("support_contract.stage_waiting", raise_if_not_found=False)
    if stage:
        stage.is_sla_paused = True
