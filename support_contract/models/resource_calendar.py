"""Swedish public holidays as global leaves of a working calendar (the business hours of the
service levels): the allmänna helgdagar, and the eves Swedish business treats as off."""

from datetime import date, datetime, time, timedelta

from dateutil.easter import easter
from pytz import timezone, utc

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools.translate import LazyTranslate

_lt = LazyTranslate(__name__)


def _saturday_between(year, month, day):
    """The Saturday in the week starting on ``year-month-day`` (Midsummer Day, All Saints)."""
    start = date(year, month, day)
    return start + timedelta(days=(5 - start.weekday()) % 7)


def swedish_holidays(year):
    """``[(date, name)]`` of one year: the public holidays (weekend ones included) and
    julafton, nyårsafton, midsommarafton. The names are lazy translations (``_lt``): the leaves
    get them in the language of the calendar's company."""
    easter_day = easter(year)
    midsummer_day = _saturday_between(year, 6, 20)
    return [
        (date(year, 1, 1), _lt("New Year's Day")),
        (date(year, 1, 6), _lt("Epiphany")),
        (easter_day - timedelta(days=2), _lt("Good Friday")),
        (easter_day, _lt("Easter Day")),
        (easter_day + timedelta(days=1), _lt("Easter Monday")),
        (date(year, 5, 1), _lt("May Day")),
        (easter_day + timedelta(days=39), _lt("Ascension Day")),
        (easter_day + timedelta(days=49), _lt("Whit Sunday")),
        (date(year, 6, 6), _lt("National Day of Sweden")),
        (midsummer_day - timedelta(days=1), _lt("Midsummer Eve")),
        (midsummer_day, _lt("Midsummer Day")),
        (_saturday_between(year, 10, 31), _lt("All Saints' Day")),
        (date(year, 12, 24), _lt("Christmas Eve")),
        (date(year, 12, 25), _lt("Christmas Day")),
        (date(year, 12, 26), _lt("Boxing Day")),
        (date(year, 12, 31), _lt("New Year's Eve")),
    ]


class ResourceCalendar(models.Model):
    _inherit = "resource.calendar"

    def _support_generate_swedish_holidays(self, year_from, year_to):
        """Add the Swedish holidays of ``year_from`` to ``year_to`` to these calendars as global
        leaves (whole local days in the calendar's time zone), named in the language of the
        calendar's company (else the user's). Idempotent: a day that already
        has a global leave of the calendar gets none. Runs with the caller's rights.

        :return: the leaves created
        """
        if not year_from or not year_to or year_from > year_to or year_to - year_from > 50:
            raise UserError(
                self.env._("Choose a range of at most 50 years, the first year before the last.")
            )
        Leave = self.env["resource.calendar.leaves"]
        vals_list = []
        for calendar in self:
            tz = timezone(calendar.tz or "UTC")
            lang = calendar.company_id.partner_id.lang or self.env.lang or "en_US"
            existing = Leave.search(
                [
                    ("calendar_id", "=", calendar.id),
                    ("resource_id", "=", False),
                    ("date_to", ">=", datetime(year_from - 1, 12, 30)),
                    ("date_from", "<=", datetime(year_to + 1, 1, 2)),
                ]
            )
            taken = {
                utc.localize(leave.date_from).astimezone(tz).date() + timedelta(days=offset)
                for leave in existing
                for offset in range((leave.date_to - leave.date_from).days + 1)
            }
            for year in range(year_from, year_to + 1):
                for day, name in swedish_holidays(year):
                    if day in taken:
                        continue
                    taken.add(day)
                    start = tz.localize(datetime.combine(day, time.min))
                    end = tz.localize(datetime.combine(day, time(23, 59, 59)))
                    vals_list.append(
                        {
                            "name": name._translate(lang),
                            "calendar_id": calendar.id,
                            "company_id": calendar.company_id.id,
                            "time_type": "leave",
                            "date_from": start.astimezone(utc).replace(tzinfo=None),
                            "date_to": end.astimezone(utc).replace(tzinfo=None),
                        }
                    )
        return Leave.create(vals_list)

    @api.model
    def _support_demo_swedish_calendar(self, company_ids):
        """Demo: the companies' working calendars in Europe/Stockholm, with the Swedish holidays
        of this year and the next."""
        calendars = self.env["res.company"].browse(company_ids).resource_calendar_id
        calendars.tz = "Europe/Stockholm"
        year = date.today().year
        calendars._support_generate_swedish_holidays(year, year + 1)
        return True
