-- The image a task asked for (the first level of the image chain; only images the operator lists as selectable).
ALTER TABLE tasks ADD COLUMN image TEXT;
