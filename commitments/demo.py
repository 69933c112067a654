"""The real pledges from June 2020 that started this project, as they stood then.

No verdicts: the Amazon moratorium's deadline (2021-06-10) has long passed, so
on first start the reminder sweep has real work to do.
"""

import datetime as dt
from decimal import Decimal

KUOW_ARTICLE = {
    "url": "https://www.kuow.org/stories/amazon-halts-police-use-of-its-facial-recognition-technology",
    "title": "Amazon halts police use of its facial recognition technology",
    "publisher": "KUOW (Associated Press)",
    "published_on": dt.date(2020, 6, 10),
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
            "No police force uses Rekognition's facial recognition from 10 June 2020 to "
            "10 June 2021, apart from the stated anti-trafficking exception."
        ),
        "sources": [KUOW_ARTICLE],
    },
    {
        "company": "ibm",
        "slug": "ibm-exit-general-purpose-facial-recognition",
        "title": "Exit the general-purpose facial recognition business",
        "category": "exit",
        "announced_on": dt.date(2020, 6, 8),
        "deadline": None,
        "summary": (
            "In a letter to Congress, IBM's chief executive Arvind Krishna wrote that IBM had "
            "stopped offering general-purpose facial recognition and analysis software, citing "
            "the technology's use for mass surveillance and racial profiling."
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
            "Amazon said it would give $10 million to organisations working for social justice "
            "and to improve the lives of Black and African Americans. The ACLU Foundation was "
            "named as one recipient."
        ),
        "success_criteria": "USD 10 million confirmed paid to the named organisations.",
        "amount_pledged": Decimal("10000000"),
        "currency": "USD",
        "sources": [
            KUOW_ARTICLE,
            {
                "url": "https://www.seattletimes.com/business/amazon/amazon-works-with-black-employees-group-to-select-organizations-for-10-million-donation/",
                "title": "Amazon works with Black employees group to select organizations for $10 million donation",
                "publisher": "The Seattle Times",
                "published_on": None,
            },
        ],
    },
]
