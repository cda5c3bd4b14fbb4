"""The portfolio read API: filters, masking, exact money, 404/422, no N+1, OpenAPI."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from autocollect.core.masking import mask_email, mask_national_id, mask_phone
from autocollect.engine.loanmath import RepaymentMethod, add_months, build_schedule
from autocollect.portfolio.models import (
    ContactKind,
    ContactOwner,
    Installment,
    Loan,
    LoanStatus,
    MortgageStatus,
)
from tests.factories import (
    make_borrower,
    make_contact,
    make_loan,
    make_payment,
    make_product,
    make_vehicle,
    pay_installments,
)

pytestmark = pytest.mark.django_db

BASE = "/api/portfolio"


@pytest.fixture
def api(client: Client, django_user_model: Any) -> Client:
    user = django_user_model.objects.create_user("risk", password="pw-for-tests", role="risk")
    client.force_login(user)
    return client


def get_json(client: Client, url: str, **params: Any) -> Any:
    response = client.get(url, params)
    assert response.status_code == 200, response.content
    return response.json()


def today() -> date:
    return timezone.localdate()


def overdue_loan(**kwargs: Any) -> Loan:
    """Three installments fall before today (months −3, −2, −1); the first one is paid."""
    loan = make_loan(first_due_on=add_months(today(), -3), **kwargs)
    pay_installments(loan, through_seq=1)
    return loan


def current_loan(**kwargs: Any) -> Loan:
    return make_loan(first_due_on=today() + timedelta(days=10), **kwargs)


def walk_values(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [v for item in value.values() for v in walk_values(item)]
    if isinstance(value, list):
        return [v for item in value for v in walk_values(item)]
    return [value]


# -- masking -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("11010519491231002X", "110105********002X"),
        ("440305850307123", "440305*****7123"),
        ("12345", "*****"),
    ],
)
def test_national_id_masking_shows_region_and_last_four_only(raw: str, masked: str) -> None:
    assert mask_national_id(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("+8613812341234", "138****1234"),
        ("13812341234", "138****1234"),
        ("+861012345678", "101***5678"),
        ("+85291234567", "+852 9***4567"),
    ],
)
def test_phone_masking_keeps_prefix_and_last_four_digits(raw: str, masked: str) -> None:
    assert mask_phone(raw) == masked


def test_email_masking_hides_the_local_part_but_its_first_letter() -> None:
    assert mask_email("zhangwei@example.com") == "z***@example.com"
    assert mask_email("a@example.com") == "***@example.com"


# -- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/borrowers", "/borrowers/1", "/loans", "/loans/HT1", "/vehicles", "/vehicles/1"],
)
def test_anonymous_requests_are_refused(client: Client, path: str) -> None:
    response = client.get(BASE + path)
    assert response.status_code == 401


# -- borrowers ---------------------------------------------------------------------------------


def test_borrower_list_masks_national_id_and_counts_loans(api: Client) -> None:
    borrower = make_borrower(name="王芳", gender="F")
    make_loan(borrower=borrower)
    make_loan(borrower=borrower)
    make_borrower(name="李强")

    body = get_json(api, f"{BASE}/borrowers")

    assert body["count"] == 2
    row = next(item for item in body["items"] if item["id"] == borrower.pk)
    assert row == {
        "id": borrower.pk,
        "name": "王芳",
        "national_id_masked": borrower.national_id[:6] + "********" + borrower.national_id[-4:],
        "gender": "F",
        "birth_date": borrower.birth_date.isoformat(),
        "loan_count": 2,
    }
    assert borrower.national_id not in json.dumps(body)


def test_borrower_list_filters_by_name_national_id_and_loan_region(api: Client) -> None:
    wang = make_borrower(name="王芳")
    zhang = make_borrower(name="张伟")
    make_loan(borrower=wang, province="广东省", city="深圳市")
    make_loan(borrower=zhang, province="浙江省", city="杭州市")
    make_loan(borrower=zhang, province="广东省", city="广州市")

    def ids(**params: Any) -> set[int]:
        return {row["id"] for row in get_json(api, f"{BASE}/borrowers", **params)["items"]}

    assert ids(name="芳") == {wang.pk}
    assert ids(national_id=zhang.national_id) == {zhang.pk}
    assert ids(province="广东省") == {wang.pk, zhang.pk}
    assert ids(city="杭州市") == {zhang.pk}
    # Province and city must match on the same loan.
    assert ids(province="广东省", city="杭州市") == set()


def test_borrower_list_paginates_with_limit_and_offset(api: Client) -> None:
    borrowers = [make_borrower(name=f"借款人{i}") for i in range(53)]

    first_page = get_json(api, f"{BASE}/borrowers")
    window = get_json(api, f"{BASE}/borrowers", limit=2, offset=1)

    assert first_page["count"] == 53
    assert len(first_page["items"]) == 50
    newest_first = [b.pk for b in reversed(borrowers)]
    assert [row["id"] for row in window["items"]] == newest_first[1:3]


@pytest.mark.parametrize("params", [{"limit": 501}, {"limit": 0}, {"offset": -1}])
def test_borrower_list_refuses_page_sizes_out_of_range(api: Client, params: dict) -> None:
    response = api.get(f"{BASE}/borrowers", params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == next(iter(params))


def test_borrower_detail_lists_masked_contacts_and_loans(api: Client) -> None:
    borrower = make_borrower(name="王芳")
    make_contact(borrower, value="+8613812341234")
    make_contact(
        borrower,
        kind=ContactKind.MOBILE,
        value="+8613998765432",
        owner=ContactOwner.EMERGENCY,
        owner_name="王建国",
        relationship="父亲",
        opted_out_channels=["call", "sms"],
    )
    make_contact(borrower, kind=ContactKind.EMAIL, value="wangfang@example.com")
    loan = make_loan(borrower=borrower, principal_fen=12_345_678)

    body = get_json(api, f"{BASE}/borrowers/{borrower.pk}")

    assert body["loan_count"] == 1
    assert body["loans"] == [
        {
            "contract_no": loan.contract_no,
            "principal_fen": 12_345_678,
            "principal_yuan": "123456.78",
            "status": "active",
        }
    ]
    by_value = {c["value_masked"]: c for c in body["contacts"]}
    assert set(by_value) == {"138****1234", "139****5432", "w***@example.com"}
    emergency = by_value["139****5432"]
    assert emergency["owner"] == "emergency"
    assert emergency["owner_name"] == "王建国"
    assert emergency["relationship"] == "父亲"
    assert emergency["status"] == "valid"
    assert emergency["opted_out_channels"] == ["call", "sms"]
    text = json.dumps(body)
    for raw in ("13812341234", "13998765432", "wangfang", borrower.national_id):
        assert raw not in text


def test_unknown_borrower_is_a_404_naming_the_id(api: Client) -> None:
    response = api.get(f"{BASE}/borrowers/987654")
    assert response.status_code == 404
    assert "987654" in response.json()["detail"]


# -- loans -------------------------------------------------------------------------------------


def test_loan_list_reports_terms_and_exact_amounts_from_the_schedule(api: Client) -> None:
    product = make_product(code="AUTO-36")
    loan = overdue_loan(
        product=product,
        principal_fen=8_000_000,
        annual_rate=Decimal("0.068"),
        term=36,
        dealer="深圳某某汽车销售服务有限公司",
        branch="深圳分公司",
    )
    make_vehicle(loan)
    schedule = build_schedule(
        principal_fen=8_000_000,
        annual_rate=Decimal("0.068"),
        term=36,
        method=RepaymentMethod.EQUAL_INSTALLMENT,
        first_due_on=loan.first_due_on,
    )
    # Penalty accrued by the daily cycle counts as overdue too.
    Installment.objects.filter(loan=loan, seq=2).update(penalty_fen=1234)

    body = get_json(api, f"{BASE}/loans")

    assert body["count"] == 1
    row = body["items"][0]
    overdue_fen = schedule[1].amount_fen + 1234 + schedule[2].amount_fen
    assert row == {
        "id": loan.pk,
        "contract_no": loan.contract_no,
        "borrower": {"id": loan.borrower_id, "name": loan.borrower.name},
        "product_code": "AUTO-36",
        "principal_fen": 8_000_000,
        "principal_yuan": "80000.00",
        "annual_rate": "0.068000",
        "term_months": 36,
        "repayment_method": "equal_installment",
        "disbursed_on": loan.disbursed_on.isoformat(),
        "first_due_on": loan.first_due_on.isoformat(),
        "dealer": "深圳某某汽车销售服务有限公司",
        "branch": "深圳分公司",
        "province": "广东省",
        "city": "深圳市",
        "timezone": "Asia/Shanghai",
        "status": "active",
        "credit_fen": 0,
        "outstanding_principal_fen": 8_000_000 - schedule[0].principal_fen,
        "outstanding_principal_yuan": str(
            (Decimal(8_000_000 - schedule[0].principal_fen) / 100).quantize(Decimal("0.01"))
        ),
        "overdue_fen": overdue_fen,
        "overdue_yuan": str((Decimal(overdue_fen) / 100).quantize(Decimal("0.01"))),
        "overdue": True,
    }


def test_loan_responses_carry_no_floats(api: Client) -> None:
    loan = overdue_loan(with_vehicle=True)

    listing = get_json(api, f"{BASE}/loans")
    detail = get_json(api, f"{BASE}/loans/{loan.contract_no}")

    values = walk_values(listing) + walk_values(detail)
    assert not [v for v in values if isinstance(v, float)]


def test_loan_overdue_filter_respects_the_product_tolerance(api: Client) -> None:
    late = overdue_loan(contract_no="LATE")
    current = current_loan(contract_no="CURRENT")
    # Everything due is paid but 50 fen, within the default ¥1.00 tolerance.
    residue = make_loan(contract_no="RESIDUE", first_due_on=add_months(today(), -1))
    first = residue.installments.get(seq=1)
    make_payment(residue, amount_fen=first.amount_fen - 50, paid_on=first.due_on)

    overdue = get_json(api, f"{BASE}/loans", overdue="true")
    not_overdue = get_json(api, f"{BASE}/loans", overdue="false")

    assert [row["contract_no"] for row in overdue["items"]] == [late.contract_no]
    rows = {row["contract_no"]: row for row in not_overdue["items"]}
    assert set(rows) == {current.contract_no, "RESIDUE"}
    assert rows["RESIDUE"]["overdue_fen"] == 50
    assert rows["RESIDUE"]["overdue"] is False
    assert rows[current.contract_no]["overdue_fen"] == 0


def test_loan_list_filters_combine(api: Client) -> None:
    wang = make_borrower(name="王芳")
    product = make_product(code="NEV-24")
    make_loan(
        contract_no="HT-TARGET",
        borrower=wang,
        product=product,
        province="浙江省",
        city="杭州市",
        method=RepaymentMethod.EQUAL_PRINCIPAL,
        term=24,
        first_due_on=date(2024, 6, 20),
        disbursed_on=date(2024, 5, 20),
        status=LoanStatus.SETTLED,
    )
    make_loan(contract_no="HT-OTHER", disbursed_on=date(2023, 1, 5))

    def contracts(**params: Any) -> list[str]:
        return [row["contract_no"] for row in get_json(api, f"{BASE}/loans", **params)["items"]]

    assert contracts(contract_no="HT-TARGET") == ["HT-TARGET"]
    assert contracts(borrower_id=wang.pk) == ["HT-TARGET"]
    assert contracts(product_code="NEV-24") == ["HT-TARGET"]
    assert contracts(province="浙江省") == ["HT-TARGET"]
    assert contracts(city="杭州市") == ["HT-TARGET"]
    assert contracts(status="settled") == ["HT-TARGET"]
    assert contracts(repayment_method="equal_principal") == ["HT-TARGET"]
    assert contracts(disbursed_from="2024-05-20", disbursed_to="2024-05-20") == ["HT-TARGET"]
    assert contracts(disbursed_to="2024-05-19") == ["HT-OTHER"]
    assert contracts(province="浙江省", status="active") == []


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("status", "late"),
        ("repayment_method", "balloon"),
        ("overdue", "maybe"),
        ("disbursed_from", "2024-13-01"),
        ("borrower_id", "abc"),
    ],
)
def test_invalid_loan_filters_are_422_naming_the_parameter(
    api: Client, param: str, value: str
) -> None:
    response = api.get(f"{BASE}/loans", {param: value})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", param]


def test_loan_detail_has_schedule_payments_with_allocations_and_vehicle(api: Client) -> None:
    loan = make_loan(
        principal_fen=3_600_000,
        annual_rate=Decimal("0.06"),
        term=12,
        first_due_on=add_months(today(), -2),
    )
    vehicle = make_vehicle(loan, brand="比亚迪", model="秦PLUS DM-i", price_fen=13_980_000)
    first, second = loan.installments.order_by("seq")[:2]
    # Installment 1 in full plus 100 fen towards installment 2 (interest first by default).
    payment = make_payment(
        loan, amount_fen=first.amount_fen + 100, paid_on=first.due_on, payment_ref="P-1"
    )

    body = get_json(api, f"{BASE}/loans/{loan.contract_no}")

    assert body["contract_no"] == loan.contract_no
    assert [row["seq"] for row in body["schedule"]] == list(range(1, 13))
    one, two = body["schedule"][:2]
    assert one["outstanding_fen"] == 0
    assert one["paid_principal_fen"] == first.principal_fen
    assert one["paid_interest_fen"] == first.interest_fen
    assert two["paid_interest_fen"] == 100
    assert two["outstanding_fen"] == second.amount_fen - 100
    assert two["amount_fen"] == second.principal_fen + second.interest_fen
    assert sum(row["principal_fen"] for row in body["schedule"]) == 3_600_000
    assert body["payments"] == [
        {
            "payment_ref": "P-1",
            "paid_on": first.due_on.isoformat(),
            "amount_fen": payment.amount_fen,
            "amount_yuan": str((Decimal(payment.amount_fen) / 100).quantize(Decimal("0.01"))),
            "channel": "银行代扣",
            "credit_fen": 0,
            "allocations": [
                {"installment_seq": 1, "component": "interest", "amount_fen": first.interest_fen},
                {
                    "installment_seq": 1,
                    "component": "principal",
                    "amount_fen": first.principal_fen,
                },
                {"installment_seq": 2, "component": "interest", "amount_fen": 100},
            ],
        }
    ]
    assert body["vehicle"]["vin"] == vehicle.vin
    assert body["vehicle"]["brand"] == "比亚迪"
    assert body["vehicle"]["price_yuan"] == "139800.00"
    assert body["overdue"] is True  # installment 2 is due before today and mostly unpaid


def test_loan_detail_without_vehicle_has_null_vehicle(api: Client) -> None:
    loan = current_loan()
    assert get_json(api, f"{BASE}/loans/{loan.contract_no}")["vehicle"] is None


def test_unknown_contract_is_a_404_naming_the_contract(api: Client) -> None:
    response = api.get(f"{BASE}/loans/HT-NOPE")
    assert response.status_code == 404
    assert "HT-NOPE" in response.json()["detail"]


# -- vehicles ----------------------------------------------------------------------------------


def test_vehicle_list_filters_by_brand_vin_plate_and_mortgage_status(api: Client) -> None:
    byd = make_vehicle(make_loan(), brand="比亚迪", plate="粤B12345")
    vw = make_vehicle(
        make_loan(), brand="Volkswagen", plate="浙A88888", mortgage_status=MortgageStatus.PENDING
    )

    def ids(**params: Any) -> list[int]:
        return [row["id"] for row in get_json(api, f"{BASE}/vehicles", **params)["items"]]

    assert ids() == [vw.pk, byd.pk]
    assert ids(brand="比亚迪") == [byd.pk]
    assert ids(brand="volkswagen") == [vw.pk]
    assert ids(vin=byd.vin.lower()) == [byd.pk]
    assert ids(plate="粤B 12345") == [byd.pk]
    assert ids(mortgage_status="pending") == [vw.pk]


def test_vehicle_detail_names_its_loan_and_borrower(api: Client) -> None:
    loan = make_loan(borrower=make_borrower(name="赵磊"))
    vehicle = make_vehicle(loan, price_fen=15_999_900)

    body = get_json(api, f"{BASE}/vehicles/{vehicle.pk}")

    assert body["loan"] == {
        "contract_no": loan.contract_no,
        "borrower": {"id": loan.borrower_id, "name": "赵磊"},
    }
    assert body["price_fen"] == 15_999_900
    assert body["price_yuan"] == "159999.00"
    assert body["mortgage_status"] == "registered"


def test_unknown_vehicle_is_404_and_bad_mortgage_status_is_422(api: Client) -> None:
    assert api.get(f"{BASE}/vehicles/424242").status_code == 404
    response = api.get(f"{BASE}/vehicles", {"mortgage_status": "stolen"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "mortgage_status"]


# -- query counts ------------------------------------------------------------------------------

# Session and user (2) + count (1) + page (1): the same for 1 row or 500.
LIST_QUERIES = 4


@pytest.mark.parametrize("path", ["/borrowers", "/loans", "/vehicles"])
def test_list_endpoints_do_not_query_per_row(
    api: Client, django_assert_max_num_queries: Any, path: str
) -> None:
    for _ in range(12):
        loan = overdue_loan(with_vehicle=True, term=6)
        make_contact(loan.borrower)

    with django_assert_max_num_queries(LIST_QUERIES):
        body = get_json(api, BASE + path)

    assert body["count"] == 12
    assert len(body["items"]) == 12


def test_loan_detail_query_count_does_not_grow_with_payments(
    api: Client, django_assert_max_num_queries: Any
) -> None:
    loan = overdue_loan(with_vehicle=True, term=24)
    for seq in (2, 3):
        installment = loan.installments.get(seq=seq)
        make_payment(loan, amount_fen=installment.amount_fen, paid_on=installment.due_on)

    # Session, user, loan with borrower/product/vehicle, installments, payments, allocations,
    # contacts.
    with django_assert_max_num_queries(7):
        body = get_json(api, f"{BASE}/loans/{loan.contract_no}")

    assert len(body["payments"]) == 3
    assert all(p["allocations"] for p in body["payments"])


# -- OpenAPI -----------------------------------------------------------------------------------


def test_openapi_lists_every_endpoint_with_response_schemas(client: Client) -> None:
    schema = get_json(client, "/api/openapi.json")

    expected = {
        "/api/portfolio/borrowers": "PagedBorrowerListOut",
        "/api/portfolio/borrowers/{borrower_id}": "BorrowerDetailOut",
        "/api/portfolio/loans": "PagedLoanOut",
        "/api/portfolio/loans/{contract_no}": "LoanDetailOut",
        "/api/portfolio/vehicles": "PagedVehicleWithLoanOut",
        "/api/portfolio/vehicles/{vehicle_id}": "VehicleWithLoanOut",
    }
    assert expected.keys() <= schema["paths"].keys()
    for path, name in expected.items():
        responses = schema["paths"][path]["get"]["responses"]
        ref = responses["200"]["content"]["application/json"]["schema"]["$ref"]
        assert ref == f"#/components/schemas/{name}"
        assert name in schema["components"]["schemas"]
        if "{" in path:
            assert "404" in responses
    loan_fields = schema["components"]["schemas"]["LoanOut"]["properties"]
    assert loan_fields["principal_fen"]["type"] == "integer"
    assert loan_fields["annual_rate"]["type"] == "string"


def test_api_docs_page_renders(client: Client) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()
