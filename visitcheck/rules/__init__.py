"""The risk rules (DOMAIN.md, "Rules"): held as data in each template version,
evaluated by one small interpreter here (`engine`) and its twin on the tablet
(`static/app/rules/engine.js`), over a context built from what the team holds
(`context`); `service` is the one place the server runs them and stores what
they raised.
"""
