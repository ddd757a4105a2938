"""``POST /check``: one export transaction against the rules in force on its date.

The body is the transaction (as for ``clearance check``); the answer is the
decision with every reason, HTTP 200 whatever the decision (the decision and
its exit code are in the body and in the ``X-Clearance-Decision`` header). A
malformed transaction is a 422 problem naming the field.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from clearance.api.auth import require
from clearance.api.deps import (
    AUTH_ERRORS,
    BODY_ERRORS,
    actor,
    audit,
    current_screener,
    json_response,
    problem_docs,
    services,
)
from clearance.rules import Transaction, audit_recorder, check
from clearance.store.keys import ApiKey

router = APIRouter()
Screener_ = Annotated[ApiKey, Depends(require("screener"))]


@router.post("/check", tags=["Transactions"],
             responses=problem_docs(*AUTH_ERRORS, *BODY_ERRORS, 503))
def check_transaction(
    body: Transaction, request: Request, _key: Screener_,
    as_of: Annotated[dt.date | None, Query(description="Apply the lists and rules of this day "
                                           "instead of the transaction date.")] = None,
) -> Response:
    """Check an export transaction: its parties (screened, with their roles), destination and
    items, against the lists and the dated, cited rules in force on its date.

    ``decision`` is ``clear``, ``review``, ``license_required`` or ``prohibited``; each
    reason gives the rule, its citation, the party and list entry it matched (with score
    and list version) and the items concerned. ``settings.bis_affiliates_rule`` gives
    the status of the BIS Affiliates Rule on that day.
    """
    svc = services(request)
    day = (as_of or body.date).isoformat()
    screener = current_screener(svc, day)
    decision = check(body, store=svc.store, screener=screener, as_of=day,
                     recorder=audit_recorder(svc.store, channel="api", actor=actor(_key),
                                             trail=audit(svc)[0]))
    response = json_response(decision.to_dict())
    response.headers["X-Clearance-Decision"] = decision.decision
    return response
