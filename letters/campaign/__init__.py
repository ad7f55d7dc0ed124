"""Campaign stage: load and validate a campaign file into a typed ``Campaign``."""

from letters.campaign.load import LoadedCampaign, campaign_dir, canonical_code, load_campaign
from letters.campaign.model import Campaign, ChartRow, Kind, ModelEntry, Phase

__all__ = [
    "Campaign",
    "ChartRow",
    "Kind",
    "LoadedCampaign",
    "ModelEntry",
    "Phase",
    "campaign_dir",
    "canonical_code",
    "load_campaign",
]
