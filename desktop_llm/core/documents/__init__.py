"""Documents: read .txt, .md, .html, .docx, .odt and .pdf into one model of blocks
with inline spans; write .txt, .md, .html, .docx and .odt back with the structure kept."""
