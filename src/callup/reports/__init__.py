"""Reports on a campaign: one typed report object built by a service, rendered as HTML and as PDF.

`campaign.campaign_report` builds the administration's report (`model.CampaignReport`);
`transparency.transparency_report` builds the publishable one, aggregate figures only, with
small counts suppressed (`disclosure`). `html` and `pdf` render either; `plots` draws the
figures both renderers embed (SVG in the HTML, high-resolution PNG in the PDF).
"""
