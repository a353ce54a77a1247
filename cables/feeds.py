"""An Atom feed of any list, so a saved search can be followed."""

from django.contrib.syndication.views import Feed
from django.http import HttpRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from .filters import CableFilter
from .models import Cable

FEED_SIZE = 50


class CableFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest) -> dict:
        params = request.GET.copy()
        params.pop("format", None)
        params.pop("page", None)
        return {"filterset": CableFilter(params, queryset=Cable.objects.all()), "params": params}

    def title(self, obj: dict) -> str:
        text = obj["filterset"].text
        return f"Cables matching “{text}”" if text else "Cables"

    def link(self, obj: dict) -> str:
        query = obj["params"].urlencode()
        return reverse("cables:cable_list") + (f"?{query}" if query else "")

    def subtitle(self, obj: dict) -> str:
        return "Cables in the archive for this search, newest first."

    def items(self, obj: dict):
        return obj["filterset"].qs.for_list().order_by("-created", "-id")[:FEED_SIZE]

    def item_title(self, item: Cable) -> str:
        return f"{item.refid}: {item.subject}" if item.subject else item.refid

    def item_description(self, item: Cable) -> str:
        return item.summary or f"{item.classification} cable from {item.origin.name}"

    def item_pubdate(self, item: Cable):
        return item.created

    def item_updateddate(self, item: Cable):
        return item.updated_at

    def item_categories(self, item: Cable) -> list[str]:
        return [tag.code for tag in item.tag_list]
