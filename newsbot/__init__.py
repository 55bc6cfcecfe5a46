"""newsbot: answers questions about a collection of news articles, in plain words, with citations.

Data flows one way: `index` (files → articles → passages → vectors → store → hits), `answer`
(hits → re-ranked passages → chosen sentences → a cited `Answer`), then a front end (`cli`,
`telegram`) turns the answer into a message. `app.Newsbot` is the one place that wires them;
`settings.Settings` holds every setting; `web` fetches pages from checked public addresses.
"""
