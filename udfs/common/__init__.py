"""What several stages share: settings, storage, Arrow rows, URLs, word lists, language id."""
