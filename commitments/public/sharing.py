"""Share links: plain addresses of the big networks' own share pages, and email.

No third-party script, pixel or button image is loaded: each is an ordinary link that
does nothing until the reader follows it. (Mastodon has no one address to share to: each
reader's server differs, and the services that pick one are third parties.) Copying the link is done by
``static/commitments/share.js`` (our own file, so the CSP allows it).
"""

from urllib.parse import quote, urlencode

# (name, address template); {url} and {text} are URL-encoded before they are put in.
NETWORKS = (
    ("Bluesky", "https://bsky.app/intent/compose?{text_and_url}"),
    ("X (Twitter)", "https://x.com/intent/post?{x}"),
    ("Facebook", "https://www.facebook.com/sharer/sharer.php?{facebook}"),
    ("LinkedIn", "https://www.linkedin.com/sharing/share-offsite/?{linkedin}"),
    ("Reddit", "https://www.reddit.com/submit?{reddit}"),
    ("WhatsApp", "https://wa.me/?{text_and_url}"),
)


def share_links(url, text):
    """[(label, href)] to share ``url`` with the one-line ``text``; email first."""
    both = f"{text} {url}"
    queries = {
        "text_and_url": urlencode({"text": both}, quote_via=quote),
        "x": urlencode({"text": text, "url": url}, quote_via=quote),
        "facebook": urlencode({"u": url}, quote_via=quote),
        "linkedin": urlencode({"url": url}, quote_via=quote),
        "reddit": urlencode({"url": url, "title": text}, quote_via=quote),
    }
    email = "mailto:?" + urlencode({"subject": text, "body": url}, quote_via=quote)
    return [("Email", email)] + [(name, template.format(**queries)) for name, template in NETWORKS]
