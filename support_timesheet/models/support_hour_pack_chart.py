from dateutil.relativedelta import relativedelta
from markupsafe import Markup, escape

from odoo import fields, models


class SupportHourPack(models.Model):
    """The usage chart of a pack (kept apart from the billing engine's pack code)."""

    _inherit = "support.hour.pack"

    def _support_usage_svg(self, until=None):
        """Inline SVG of the pack's use: the hours drawn in each month (bars) and the balance
        left after it (line), from the pack's start to ``until`` (default today). Used by the
        portal's packs page and the monthly statement (wkhtmltopdf renders inline SVG)."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        until = min(until or today, self.date_end)
        months = []
        month = self.date_start.replace(day=1)
        while month <= until and len(months) < 24:
            months.append(month)
            month += relativedelta(months=1)
        drawn = {
            day.replace(day=1): hours
            for day, hours in self.env["support.hour.pack.consumption"]
            .sudo()
            ._read_group(
                [("pack_id", "=", self.id), ("date", "<=", until)], ["date:month"], ["hours:sum"]
            )
        }
        width, height, top, bottom = 320, 110, 8, 18
        chart = height - top - bottom
        step = width / max(len(months), 1)
        scale = chart / (self.hours or 1.0)
        bars, points, labels = [], [], []
        balance = self.hours
        for index, month in enumerate(months):
            used = drawn.get(month, 0.0)
            balance -= used
            x = index * step
            bar = min(used * scale, chart)
            bars.append(
                f'<rect x="{x + step * 0.2:.1f}" y="{top + chart - bar:.1f}" '
                f'width="{step * 0.6:.1f}" height="{bar:.1f}" fill="#71639e"/>'
            )
            points.append(f"{x + step / 2:.1f},{top + chart - max(balance, 0) * scale:.1f}")
            if len(months) <= 12 or index % 2 == 0:
                labels.append(
                    f'<text x="{x + step / 2:.1f}" y="{height - 4}" font-size="9" '
                    f'text-anchor="middle" fill="#555">{month.strftime("%m")}</text>'
                )
        title = escape(
            self.env._(
                "Hours drawn each month (bars) and hours left (line) of %(pack)s",
                pack=self.name or "",
            )
        )
        return Markup(
            f'<svg xmlns="http://www.w3.org/2000/svg" class="o_support_pack_chart" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">'
            f"<title>{title}</title>"
            f'<line x1="0" y1="{top + chart}" x2="{width}" y2="{top + chart}" stroke="#999"/>'
            f"{''.join(bars)}"
            f'<polyline points="{" ".join(points)}" fill="none" stroke="#017e84" '
            f'stroke-width="2"/>{"".join(labels)}</svg>'
        )
