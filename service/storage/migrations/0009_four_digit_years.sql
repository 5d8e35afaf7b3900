-- Publication times before the year 1000 were written with fewer than four
-- digits ("999-01-01T00:00:00Z"), which is not RFC 3339 and sorts after every
-- later year in the queries' text comparisons: such an article stayed
-- scheduled for ever. Only editors set published_at; Byline sets the others.
UPDATE articles SET published_at = '000' || published_at WHERE published_at GLOB '[0-9]-*';
-- ;
UPDATE articles SET published_at = '00' || published_at WHERE published_at GLOB '[0-9][0-9]-*';
-- ;
UPDATE articles SET published_at = '0' || published_at WHERE published_at GLOB '[0-9][0-9][0-9]-*';
