"""Phones checked and stored in one spelling, postal codes and birth dates checked, and the
family's name that follows its guardians (issue 23, items 8 and 9).

Existing data is kept: a phone that parses is respelt (06 12 34 56 78), one that does not is
left as typed, for staff to correct when they next open it. A family whose name is the one
its guardians make, or the old default (« Famille » and the first surname), follows them from
now on; any other name was typed by someone and is kept, marked as set by the service."""

import ground.fields
import ground.validators
from django.db import migrations, models


def normalise_and_name(apps, schema_editor):
    Guardian = apps.get_model("familles", "Guardian")
    Contact = apps.get_model("familles", "Contact")
    Family = apps.get_model("familles", "Family")
    phones = {Guardian: ["mobile_phone", "home_phone", "work_phone"], Contact: ["phone"]}
    for model, fields in phones.items():
        for row in model.objects.only("pk", *fields).iterator():
            changed = {field: ground.validators.normalize_phone(getattr(row, field))
                       for field in fields if getattr(row, field)}
            changed = {f: v for f, v in changed.items() if v != getattr(row, f)}
            if changed:
                model.objects.filter(pk=row.pk).update(**changed)
    for family in Family.objects.only("pk", "name").iterator():
        surnames = [" ".join(name.split()) for name in Guardian.objects.filter(
            family_id=family.pk).order_by("pk").values_list("last_name", flat=True)]
        distinct = []
        for surname in surnames:
            if surname and surname.casefold() not in (s.casefold() for s in distinct):
                distinct.append(surname)
        if not distinct:
            continue
        made = "Famille " + "-".join(distinct)
        if family.name.strip() in (made, "Famille " + distinct[0]):
            Family.objects.filter(pk=family.pk).update(name=made)
        else:
            Family.objects.filter(pk=family.pk).update(name_set_by_staff=True)


class Migration(migrations.Migration):

    dependencies = [
        ('familles', '0007_document_received_at_counter'),
    ]

    operations = [
        migrations.AddField(
            model_name='family',
            name='name_set_by_staff',
            field=models.BooleanField(default=False, help_text='Décoché, le nom suit ceux des responsables légaux (« Famille Martin », « Famille Martin-Dupont »).', verbose_name='nom fixé par le service'),
        ),
        migrations.AddField(
            model_name='historicalfamily',
            name='name_set_by_staff',
            field=models.BooleanField(default=False, help_text='Décoché, le nom suit ceux des responsables légaux (« Famille Martin », « Famille Martin-Dupont »).', verbose_name='nom fixé par le service'),
        ),
        migrations.AlterField(
            model_name='child',
            name='birth_date',
            field=models.DateField(validators=[ground.validators.validate_birth_date], verbose_name='date de naissance'),
        ),
        migrations.AlterField(
            model_name='contact',
            name='phone',
            field=ground.fields.PhoneField(max_length=20, verbose_name='téléphone'),
        ),
        migrations.AlterField(
            model_name='family',
            name='postal_code',
            field=models.CharField(blank=True, max_length=10, validators=[ground.validators.validate_postal_code], verbose_name='code postal'),
        ),
        migrations.AlterField(
            model_name='guardian',
            name='home_phone',
            field=ground.fields.PhoneField(blank=True, max_length=20, verbose_name='téléphone fixe'),
        ),
        migrations.AlterField(
            model_name='guardian',
            name='mobile_phone',
            field=ground.fields.PhoneField(max_length=20, verbose_name='téléphone portable'),
        ),
        migrations.AlterField(
            model_name='guardian',
            name='work_phone',
            field=ground.fields.PhoneField(blank=True, max_length=20, verbose_name='téléphone professionnel'),
        ),
        migrations.AlterField(
            model_name='historicalchild',
            name='birth_date',
            field=models.DateField(validators=[ground.validators.validate_birth_date], verbose_name='date de naissance'),
        ),
        migrations.AlterField(
            model_name='historicalcontact',
            name='phone',
            field=ground.fields.PhoneField(max_length=20, verbose_name='téléphone'),
        ),
        migrations.AlterField(
            model_name='historicalfamily',
            name='postal_code',
            field=models.CharField(blank=True, max_length=10, validators=[ground.validators.validate_postal_code], verbose_name='code postal'),
        ),
        migrations.AlterField(
            model_name='historicalguardian',
            name='home_phone',
            field=ground.fields.PhoneField(blank=True, max_length=20, verbose_name='téléphone fixe'),
        ),
        migrations.AlterField(
            model_name='historicalguardian',
            name='mobile_phone',
            field=ground.fields.PhoneField(max_length=20, verbose_name='téléphone portable'),
        ),
        migrations.AlterField(
            model_name='historicalguardian',
            name='work_phone',
            field=ground.fields.PhoneField(blank=True, max_length=20, verbose_name='téléphone professionnel'),
        ),
        migrations.RunPython(normalise_and_name, migrations.RunPython.noop),
    ]
