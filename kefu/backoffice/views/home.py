"""The management index: links to every section the manager may open."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from kefu.backoffice.access import manager_or_404
from kefu.backoffice.views.common import page_context


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    me = manager_or_404(request)
    return render(request, "backoffice/index.html", page_context(me, "index"))
