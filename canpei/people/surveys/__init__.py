"""The annual needs survey of the registry's persons: one survey per person per year.

services  writes (create, update, the skills catalogue) and the rules they check
selectors the surveys a user may read, and the survey progress per town and year
forms     the survey and skill forms of the pages
imports   the survey spreadsheet import, registered with canpei.spreadsheets
"""
