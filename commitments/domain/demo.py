"""The real pledges from June 2020 that started this project, as known today.

Every fact comes with its source (``../shared/seed/FACTS.md``). Where the sources do not
settle a verdict, none is recorded: the demo states what is known and leaves judgement
to staff. So the Amazon moratorium is shown extended "until further notice" (not
overdue), and the $10M donation lists its eleven recipients, with $1M each to two of
them confirmed by a source and the rest *unconfirmed* (not $0).

No demo pledge has a deadline left to pass, so nothing is due on first start; the
README shows how to log one that is, to watch a reminder go out.
"""

import datetime as dt
from decimal import Decimal

KUOW_ARTICLE = {
    "url": "https://www.kuow.org/stories/amazon-halts-police-use-of-its-facial-recognition-technology",
    "title": "Amazon halts police use of its facial recognition technology",
    "publisher": "KUOW (Associated Press)",
    "published_on": dt.date(2020, 6, 10),
}
VERGE_EXTENSION = {
    "url": "https://www.theverge.com/2021/5/18/22442580/amazon-law-enforcement-police-facial-recognition-software-ban",
    # Our description of the report (the fact sheet gives its address and date, not its headline).
    "title": "Report: Amazon extends its police moratorium on Rekognition until further notice",
    "publisher": "The Verge",
    "published_on": dt.date(2021, 5, 18),
}
SEATTLE_TIMES_RECIPIENTS = {
    "url": "https://www.seattletimes.com/business/amazon/amazon-works-with-black-employees-group-to-select-organizations-for-10-million-donation/",
    "title": "Amazon works with Black employees group to select organizations for $10 million donation",
    "publisher": "The Seattle Times",
    "published_on": None,
}
# The fact sheet names the publication and date of the report, not its address: cite the
# publication rather than invent a deep link.
DIVERSE_TMCF_UNCF = {
    "url": "https://www.diverseeducation.com/",
    "title": "Report: Amazon gives $1 million each to the Thurgood Marshall College Fund and UNCF",
    "publisher": "Diverse: Issues In Higher Education",
    "published_on": dt.date(2020, 6, 7),
}

COMPANIES = [
    {
        "slug": "amazon",
        "name": "Amazon",
        "website": "https://www.amazon.com/",
        "description": "Online retailer and cloud provider; sells the Rekognition image-analysis service.",
    },
    {
        "slug": "ibm",
        "name": "IBM",
        "website": "https://www.ibm.com/",
        "description": "Technology and consulting company.",
    },
]

RECIPIENTS = (
    "ACLU Foundation",
    "Brennan Center for Justice",
    "Equal Justice Initiative",
    "Lawyers' Committee for Civil Rights Under Law",
    "NAACP",
    "National Bar Association",
    "National Museum of African American History and Culture",
    "National Urban League",
    "Thurgood Marshall College Fund",
    "UNCF",
    "Year Up",
)

PLEDGES = [
    {
        "company": "amazon",
        "slug": "amazon-rekognition-police-moratorium",
        "title": "One-year moratorium on police use of Rekognition facial recognition",
        "category": "moratorium",
        "announced_on": dt.date(2020, 6, 10),
        "deadline": dt.date(2021, 6, 10),
        "summary": (
            "Amazon said it would stop police forces from using **Rekognition**, its facial "
            "recognition service, for one year, hoping Congress would use that time to "
            "regulate the technology.\n\n"
            "Exception stated at the time: organisations that look for missing children and "
            "victims of human trafficking — Thorn, the International Center for Missing and "
            "Exploited Children, Marinus Analytics — may keep using Rekognition."
        ),
        "success_criteria": (
            "No police force uses Rekognition's facial recognition while the moratorium "
            "lasts, apart from the stated anti-trafficking exception."
        ),
        "sources": [KUOW_ARTICLE, VERGE_EXTENSION],
        # Recorded through the workflow, as staff would: the move is an event in its history.
        "deadline_move": {
            "new_deadline": None,
            "effective_on": dt.date(2021, 5, 18),
            "source": VERGE_EXTENSION["url"],
            "rationale": (
                "Amazon told Reuters it was extending the moratorium “until further notice”, "
                "three weeks before the year was up. Whether police used Rekognition during "
                "the year is not settled by these sources, so no verdict is recorded."
            ),
        },
    },
    {
        "company": "ibm",
        "slug": "ibm-exit-general-purpose-facial-recognition",
        "title": "Exit the general-purpose facial recognition business",
        "category": "exit",
        "announced_on": dt.date(2020, 6, 8),
        "deadline": None,
        "summary": (
            "In a letter to Congress on 8 June 2020, IBM's chief executive Arvind Krishna "
            "wrote that IBM would abandon its facial recognition technology, citing its "
            "potential to promote racial discrimination and injustice. The letter said IBM "
            "“has sunset its general-purpose facial recognition and analysis software "
            "products” (as reported by the Associated Press)."
        ),
        "success_criteria": (
            "IBM no longer sells, develops or supports general-purpose facial recognition or "
            "analysis products."
        ),
        "sources": [KUOW_ARTICLE],
    },
    {
        "company": "amazon",
        "slug": "amazon-10-million-racial-justice-donation",
        "title": "Donate $10 million to organisations working for social justice",
        "category": "donation",
        "announced_on": dt.date(2020, 6, 3),
        "deadline": None,
        "summary": (
            "Amazon said it would give $10 million to eleven organisations working for social "
            "justice and to improve the lives of Black and African Americans: "
            + ", ".join(RECIPIENTS[:-1])
            + f" and {RECIPIENTS[-1]}.\n\n"
            "$1 million each to the Thurgood Marshall College Fund and UNCF is confirmed by a "
            "published report; the rest was announced but is not confirmed by a source we cite."
        ),
        "success_criteria": "USD 10 million confirmed paid to the named organisations.",
        "amount_pledged": Decimal("10000000"),
        "currency": "USD",
        "sources": [KUOW_ARTICLE, SEATTLE_TIMES_RECIPIENTS, DIVERSE_TMCF_UNCF],
        # Every named recipient is an announced payment; a source confirms two of them.
        "recipients": RECIPIENTS,
        "payments": [
            {
                "recipient": recipient,
                "amount": Decimal("1000000"),
                "paid_on": dt.date(2020, 6, 7),
                "source": DIVERSE_TMCF_UNCF["url"],
            }
            for recipient in ("Thurgood Marshall College Fund", "UNCF")
        ],
    },
]

# What older versions of the demo wrote for the donation, which ``load_demo`` replaces by the
# two confirmed payments: a note saying the same, and the single "delivered" figure (moved
# by migration 0015 into one payment without a recipient).
OLD_DONATION_NOTE = (
    "$1 million each to the Thurgood Marshall College Fund and UNCF confirmed: "
    "$2 million of the $10 million."
)
