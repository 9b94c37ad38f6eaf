"""SQLAdmin views, one module per area of the menu (registered by :mod:`admin_app.console`)."""
