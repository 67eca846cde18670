"""A package's capacity counts its spots bought and held: a full refund gives a spot back, a spot held for
someone is theirs alone until its time ends, an invitation opens a package sold by invitation only, and each
moment a spot may have freed is announced (billing.spots.spot_freed) for the waitlist."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tenancy import tenant
from billing import card_services, services
from billing.models import CheckoutStatus, Purchase, SpotHold
from billing.spots import spot_freed, spots_free
from tests.store_helpers import open_shop, pay_by_card, start


@pytest.fixture
def shop(org_a, org_b, alice, bob):
    return open_shop(org_a, org_b, alice, bob)


@pytest.fixture
def freed():
    """The packages announced as maybe having a free spot, in order."""
    heard = []

    def listen(sender, package, **kwargs):
        heard.append(package.name)

    spot_freed.connect(listen)
    yield heard
    spot_freed.disconnect(listen)


def _sell(shop, alice, person):
    return services.sale_record(
        package=shop["party"], customer=shop[person], payer=shop[person], method="cash", by=alice
    )


def test_a_full_refund_gives_the_spot_back_and_a_partial_one_does_not(org_a, shop, alice, freed):
    with tenant(org_a):
        kim, gran = _sell(shop, alice, "kim"), _sell(shop, alice, "gran")
        with pytest.raises(services.SaleError, match="sold out"):
            start(shop)
        payment = kim.payments.get()
        services.payment_refund(payment=payment, amount=100, reason="Late", by=alice)
        assert spots_free(shop["party"]) == 0 and freed == []
        payment.refresh_from_db()
        services.payment_refund(payment=payment, amount=payment.refundable, reason="Ill", by=alice)
        assert freed == ["Party"] and spots_free(shop["party"]) == 1
        assert Purchase.objects.get(pk=kim.pk).released_at is not None
        assert Purchase.objects.get(pk=gran.pk).released_at is None
        assert start(shop).status == CheckoutStatus.OPEN


def test_a_held_spot_is_for_its_holder_only_until_it_ends(org_a, shop, alice, freed):
    with tenant(org_a):
        _sell(shop, alice, "gran")
        hold = services.spot_hold(
            package=shop["party"], customer=shop["pat"], until=timezone.now() + timedelta(hours=24)
        )
        with pytest.raises(services.SaleError, match="no free spot"):
            services.spot_hold(package=shop["party"], customer=shop["kim"], until=hold.expires_at)
        with pytest.raises(services.SaleError, match="sold out"):
            _sell(shop, alice, "kim")  # not at the desk either
        with pytest.raises(services.SaleError, match="no longer held"):
            card_services.store_checkout_start(
                package=shop["party"], customer=shop["kim"], payer=shop["pat"], hold=hold
            )
        checkout = card_services.store_checkout_start(
            package=shop["party"], customer=shop["pat"], payer=shop["pat"], hold=hold
        )
        pay_by_card(checkout)
        done = card_services.store_checkout_complete(checkout=checkout)
        assert done.status == CheckoutStatus.PAID
        assert SpotHold.objects.get().purchase == done.completed_purchase
        assert spots_free(shop["party"]) == 0 and freed == []


def test_a_hold_past_its_time_or_let_go_frees_its_spot(org_a, shop, alice, freed):
    with tenant(org_a):
        until = timezone.now() + timedelta(hours=1)
        first = services.spot_hold(package=shop["party"], customer=shop["pat"], until=until)
        second = services.spot_hold(package=shop["party"], customer=shop["kim"], until=until)
        assert spots_free(shop["party"]) == 0
        SpotHold.objects.filter(pk=first.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
        assert spots_free(shop["party"]) == 1
        first.refresh_from_db()
        with pytest.raises(services.SaleError, match="no longer held"):
            card_services.store_checkout_start(
                package=shop["party"], customer=shop["pat"], payer=shop["pat"], hold=first
            )
        services.spot_let_go(hold=second)
        services.spot_let_go(hold=second)  # once
        assert freed == ["Party"] and spots_free(shop["party"]) == 2


def test_raising_the_capacity_announces_free_spots_and_lowering_it_does_not(org_a, shop, alice, freed):
    with tenant(org_a):
        party = shop["party"]
        party.capacity = 1
        services.package_save(package=party, by=alice)
        party.description = "Three hours"
        services.package_save(package=party, by=alice)
        assert freed == []
        party.capacity = 5
        services.package_save(package=party, by=alice)
        party.capacity = None
        services.package_save(package=party, by=alice)
        assert freed == ["Party", "Party"]


def test_an_invitation_opens_a_package_sold_by_invitation_only(org_a, shop):
    with tenant(org_a):
        with pytest.raises(services.SaleError, match="not sold online"):
            start(shop, "invite")
        with pytest.raises(services.SaleError, match="not sold online"):  # staff-only stays at the desk
            card_services.store_checkout_start(
                package=shop["staff"], customer=shop["pat"], payer=shop["pat"], invited=True
            )
        checkout = card_services.store_checkout_start(
            package=shop["invite"], customer=shop["pat"], payer=shop["pat"], invited=True
        )
        pay_by_card(checkout)
        assert card_services.store_checkout_complete(checkout=checkout).status == CheckoutStatus.PAID
