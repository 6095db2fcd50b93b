import os

from django.core.wsgi import get_wsgi_application

from aftersales import datadir

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aftersales.settings")
datadir.prepare()
application = get_wsgi_application()
