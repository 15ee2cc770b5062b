"""Model downloads: the part-file layout on disk (partfile), the HTTP client
(transport) and the resumable, verified transfer over a model's parts
(transfer)."""

from desktop_llm.core.models.downloads.partfile import discard_download, paused_downloads
from desktop_llm.core.models.downloads.transfer import DownloadControl, DownloadResult, Transfer, download

__all__ = ["DownloadControl", "DownloadResult", "Transfer", "discard_download", "download", "paused_downloads"]
