"""The pages, one module per topic; canpei.web.urls maps the addresses onto them."""
