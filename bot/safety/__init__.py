"""Safety building blocks: spotting crisis language and answering it with the right resources."""
