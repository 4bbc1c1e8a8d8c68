"""Portal pages of the Contacts and Directories sections."""
