"""Account invites and the invitation settings now belong to the invites app (invites 0001 takes over their
tables as they are): the portal app only forgets them."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0003_signup_request"),
        ("invites", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ClaimInvite"),
                migrations.DeleteModel(name="InviteSettings"),
            ],
        ),
    ]
