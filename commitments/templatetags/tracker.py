from django import template

from commitments import markdown

register = template.Library()


@register.filter
def render_markdown(text):
    return markdown.render(text)


@register.filter
def money(amount, currency=""):
    """12345.5, "USD" → "USD 12,345.50"; whole amounts lose their cents."""
    if amount is None:
        return ""
    text = f"{amount:,.0f}" if amount == int(amount) else f"{amount:,.2f}"
    return f"{currency} {text}".strip()


@register.filter
def money_width(percent):
    """A percentage clamped to 0–100 for an SVG bar, as a plain number string."""
    if percent is None:
        return "0"
    return f"{min(max(float(percent), 0.0), 100.0):.2f}"
