"""The Content-Security-Policy header on every answer that has a body.

django-csp builds the policy text on each response, the answers to revalidations
included. A 304 has no body for a policy to govern, and the browser keeps the headers
of the copy it already holds, policy included (RFC 9111, 4.3.4), so this answers 304s
without it: a timeline revalidation took 1.27 ms in-process with the policy built,
1.11 ms without (the two middleware stacks timed in turn in one process).
"""

from csp.middleware import CSPMiddleware


class PolicyMiddleware(CSPMiddleware):
    def process_response(self, request, response):
        if response.status_code == 304:
            return response
        return super().process_response(request, response)
