"""`{% url %}` as Django's, remembering the URLs it reversed (a template builtin: config/settings/base.py).

Reversing walks the URL patterns (~25 µs, ~45 through the tag), and a profile draws ~40 links whose names and
arguments repeat from one request to the next: the same sections for every customer, the same actions but
for the pk. A URL is a function of the view's name, its arguments, the current app, the URL conf and the
script prefix, and these are the key; arguments other than text and numbers (a model, whose text may change)
are reversed each time, as are names that do not reverse (Django's tag decides what that does)."""

from functools import lru_cache

from django import template
from django.template.defaulttags import URLNode, url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()


@lru_cache(maxsize=8192)
def _reversed(view_name: str, args: tuple, kwargs: tuple, current_app, urlconf, prefix: str) -> str:
    return reverse(view_name, urlconf=urlconf, args=args, kwargs=dict(kwargs), current_app=current_app)


def _plain(value) -> bool:
    """Text or a number: what writes itself the same in a URL every time (a bool is a number, but True == 1
    would share a key with 1, and writes "True")."""
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


class RememberedURLNode(URLNode):
    def render(self, context):
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = tuple((name, value.resolve(context)) for name, value in self.kwargs.items())
        view_name = self.view_name.resolve(context)
        values = (view_name, *args, *(value for _, value in kwargs))
        if not all(_plain(value) for value in values):
            return super().render(context)
        request = getattr(context, "request", None)
        if hasattr(request, "current_app"):
            current_app = request.current_app
        else:
            current_app = getattr(getattr(request, "resolver_match", None), "namespace", None)
        try:
            found = _reversed(view_name, args, kwargs, current_app, get_urlconf(), get_script_prefix())
        except NoReverseMatch:  # Django's tag raises, or leaves an `as` variable blank
            return super().render(context)
        if self.asvar:
            context[self.asvar] = found
            return ""
        return conditional_escape(found) if context.autoescape else found


@register.tag(name="url")
def remembered_url(parser, token):
    node = url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
