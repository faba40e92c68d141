"""Scenario builders, importable by any test, conftest or helper (never the other way round:
a builder imports no test module nor conftest).

- `accounts`: users and staff (`PASSWORD`, `TOTP_SECRET`), `staff_without(*codenames)`,
  `login(user)`, `password_login(client, email)`.
- `families`: families, guardians, children, contacts, vault documents.
- `enrolments`: school years, annual files, sites, activities, enrolments.
- `reservations`: deadline rules, booking periods, capacities, slots, reservations;
  `bookable_activity`, `ready_child`, `book_as`.
- `billing`: `TARIFF`, tariffs and quotients, `priced_activity`, runs and invoices, issued
  and paid.
- `stripe_fake`: signed Stripe events and a fake Stripe server.
- `direct_debit`: the régie offering direct debit, families' mandates, the collection file
  parsed.
- `attestations`: a finished year's catalogue, invoices, payments and registers, line by
  line.
- `health`: staff with and without the health permissions, the health data the commune
  lists, the lookup paths that reach it.
"""
