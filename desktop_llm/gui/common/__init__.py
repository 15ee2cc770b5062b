"""Parts every screen uses: the job bridge, background calls, widgets, the theme."""
