"""Documents: read .txt, .md, .html, .docx and .pdf into one model of blocks
with inline spans; write .txt, .md, .html and .docx back with the structure kept."""
