"""The SMS provider's delivery-receipt callback.

CSRF-exempt (the provider has no session) but every request must carry the provider's HMAC
signature over the raw body. A receipt seen before is answered 200 like a new one: providers
resend until they get a 200, and a duplicate must change nothing.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from autocollect.channels.conf import sms_config
from autocollect.channels.services import receipt_apply
from autocollect.channels.sms import ReceiptFormatError, parse_receipts, verify


@csrf_exempt
@require_POST
def sms_receipt(request: HttpRequest) -> JsonResponse:
    config = sms_config()
    signature = request.headers.get(config.signature_header, "")
    if not verify(config.secret, request.body, signature):
        return JsonResponse({"error": "bad or missing signature"}, status=403)
    try:
        receipts = parse_receipts(request.body)
    except ReceiptFormatError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    duplicates = 0
    for receipt in receipts:
        result = receipt_apply(
            provider=config.provider,
            provider_message_id=receipt.provider_message_id,
            idempotency_key=receipt.out_id,
            status=receipt.status,
            reported_at=receipt.reported_at,
            raw=receipt.raw,
        )
        duplicates += 0 if result.created else 1
    return JsonResponse({"ok": True, "received": len(receipts), "duplicates": duplicates})
