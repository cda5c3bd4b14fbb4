from django.db import migrations

from autocollect.portfolio.migrations import DEFAULT_PRODUCT


def create_default_product(apps, schema_editor):
    Product = apps.get_model("portfolio", "Product")
    Product.objects.get_or_create(code=DEFAULT_PRODUCT["code"], defaults=DEFAULT_PRODUCT)


def remove_default_product(apps, schema_editor):
    Product = apps.get_model("portfolio", "Product")
    Product.objects.filter(code=DEFAULT_PRODUCT["code"], loans__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("portfolio", "0001_initial")]
    operations = [migrations.RunPython(create_default_product, remove_default_product)]
