import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "canpei.settings")
application = get_wsgi_application()

# Everything imported so far (Django, the apps, their libraries: some 300,000 objects) lives as
# long as the worker. Left to the collector, each full collection walked all of it: a pause of
# about 60 ms once every hundred requests, the slowest percent of the pages. Frozen, a full
# collection walks only what requests have added since.
gc.freeze()
