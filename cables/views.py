from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from .models import Cable


@require_GET
def home(request):
    return HttpResponse(f"{Cable.objects.count()} cables")


@require_GET
def cable_list(request):
    return HttpResponse("\n".join(Cable.objects.values_list("refid", flat=True)[:100]))


@require_GET
def cable_detail(request, refid):
    cable = get_object_or_404(Cable, refid=refid)
    return HttpResponse(cable.raw, content_type="text/plain; charset=utf-8")
