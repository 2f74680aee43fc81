-- Global search (docs/search.md). `search_docs` holds one row per searchable record: its
-- kind, its id, its project (none for clients and people), a title and a body of the words
-- to find it by, and those words as a tsvector under a GIN index (SQLite: FTS5). Triggers
-- keep it in the same transaction as every write to the records. The index holds no
-- permissions: who may see a hit is decided when searching, in the query, from the records
-- themselves (membership, the client's organisation, drafts, internal comments).
-- Derived data: not dumped; loading a dump fires the same triggers and rebuilds it.
--
-- Text is cut into words at anything that is not a letter or a digit, lower-cased, with the
-- accents of Latin letters removed, as SQLite's unicode61 tokenizer (remove_diacritics 2)
-- does: `search_text` below. Prices and costs are never indexed. Deleted comments leave it.

-- Lower case. A database created with the C locale lower-cases only ASCII; ICU's root locale,
-- when this server has it, lower-cases every script (É, Ω, Д) whatever the database's locale.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu') THEN
        EXECUTE 'CREATE FUNCTION search_lower(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE '
             || 'AS $f$ SELECT lower(t COLLATE "und-x-icu") $f$';
    ELSE
        EXECUTE 'CREATE FUNCTION search_lower(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE '
             || 'AS $f$ SELECT lower(t) $f$';
    END IF;
END
$$;

-- The words of a text, separated by single spaces: Latin letters without their accents (the
-- table is SQLite's unicode61 folding of U+00C0–U+024F, also in
-- formula_domain::search::FOLD_FROM/FOLD_TO), lower case, and everything that is not a letter
-- or a digit (ASCII and Latin-1 punctuation, general punctuation, symbols) a separator.
CREATE FUNCTION search_text(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT btrim(regexp_replace(
        search_lower(translate(coalesce(t, ''),
                  'ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĐĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦĨĩĪīĬĭĮįİĲĴĵĶķĹĺĻļĽľĿŁŃńŅņŇňŊŌōŎŏŐőŒŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŦŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſƁƂƄƆƇƉƊƋƎƏƐƑƓƔƖƗƘƜƝƟƠơƢƤƦƧƩƬƮƯưƱƲƳƵƷƸƼǄǅǇǈǊǋǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǢǤǦǧǨǩǪǫǬǭǮǰǱǲǴǵǶǷǸǹǺǻǼǾȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȜȞȟȠȢȤȦȧȨȩȪȫȬȭȮȯȰȱȲȳȺȻȽȾɁɃɄɅɆɈɊɌɎ',
                  'aaaaaaæceeeeiiiiðnoooooøuuuuyþaaaaaaceeeeiiiinooooouuuuyyaaaaaaccccccccddđeeeeeeeeeegggggggghhħiiiiiiiiiĳjjkkllllllŀłnnnnnnŋooooooœrrrrrrssssssssttttŧuuuuuuuuuuuuwwyyyzzzzzzsɓƃƅɔƈɖɗƌǝəɛƒɠɣɩɨƙɯɲɵooƣƥʀƨʃƭʈuuʊʋƴƶʒƹƽǆǆǉǉǌǌaaiioouuuuuuuuuuaaǡǣǥggkkooooǯjǳǳggƕƿnnaaǽǿaaaaeeeeiiiioooorrrruuuussttȝhhƞȣȥaaeeooooooooyyⱥȼƚⱦɂƀʉʌɇɉɋɍɏ')),
        '[^0-9a-z\u00aa\u00b2\u00b3\u00b5\u00b9\u00ba\u00bc-\u00be\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u1fff\u2070-\u209f\u2150-\u218f\u2c00-\u2dff\u2e80-\u2fff\u3040-\ufe0f\ufe30-\ufe4f\ufe70-\ufefe\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff66-\uffef\U00010000-\U0010ffff]+',
        ' ', 'g'))
$$;

-- A record's words, the title weighing more than the body.
CREATE FUNCTION search_words(title text, body text) RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('simple'::regconfig, search_text(title)), 'A')
        || setweight(to_tsvector('simple'::regconfig, search_text(body)), 'B')
$$;

-- What a search asks for: every word of `q`, the last one as the start of a word when
-- `prefix` (the caller decides: a single letter is not worth it). NULL when `q` has no word.
-- Only letters and digits reach to_tsquery, so nothing typed is read as its syntax.
CREATE FUNCTION search_query(q text, prefix boolean) RETURNS tsquery LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN w = '' THEN NULL
                ELSE to_tsquery('simple'::regconfig,
                                replace(w, ' ', ' & ') || CASE WHEN prefix THEN ':*' ELSE '' END)
           END
    FROM (SELECT search_text(q) AS w) s
$$;

CREATE TABLE search_docs (
    record_id  uuid PRIMARY KEY,
    kind       text NOT NULL CHECK (kind IN ('project', 'client', 'person', 'task', 'scope_item', 'drawing',
                                             'spec', 'comment')),
    project_id uuid,
    title      text NOT NULL,
    body       text NOT NULL,
    words      tsvector NOT NULL GENERATED ALWAYS AS (search_words(title, body)) STORED
);
CREATE INDEX search_docs_words_idx ON search_docs USING GIN (words);

INSERT INTO search_docs (kind, record_id, project_id, title, body)
SELECT 'project', id, id, code || ' ' || name,
       concat_ws(' · ', NULLIF(description, ''), NULLIF(location, ''), NULLIF(contract_number, ''))
FROM projects;
INSERT INTO search_docs (kind, record_id, project_id, title, body)
SELECT 'client', id, NULL, name,
       concat_ws(' · ', NULLIF(client_type, ''), NULLIF(address, ''), NULLIF(website, ''), NULLIF(notes, ''))
FROM clients;
INSERT INTO search_docs (kind, record_id, project_id, title, body)
SELECT 'person', id, NULL, name, concat_ws(' · ', email, NULLIF(job_title, ''))
FROM users;
INSERT INTO search_docs (kind, record_id, project_id, title, body)
SELECT 'task', id, project_id, title, coalesce(description, '')
FROM tasks;
INSERT INTO search_docs (kind, record_id, project_id, title, body)
SELECT 'scope_item', id, project_id, code || ' ' || name,
       concat_ws(' · ', NULLIF(description, ''), NULLIF(location, ''))
FROM scope_items;
INSERT INTO search_docs (kind, record_id, project_id, title, body)
SELECT 'drawing', id, project_id, number || ' ' || title, coalesce(area, '')
FROM drawings;
INSERT INTO search_docs (kind, record_id, project_id, title, body)
SELECT 'spec', id, project_id, code || ' ' || description,
       concat_ws(' · ', NULLIF(material, ''), NULLIF(finish, ''), NULLIF(colour, ''), NULLIF(hardware, ''),
                 NULLIF(supplier, ''), NULLIF(part_number, ''), NULLIF(location, ''))
FROM specs;
INSERT INTO search_docs (kind, record_id, project_id, title, body)
SELECT 'comment', id, project_id, '', body
FROM comments WHERE deleted_at IS NULL;

-- search_docs follows the records: a row in, its document in; a row out, its document out;
-- an update that changes a searched column, its document rewritten.
CREATE FUNCTION search_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM search_docs WHERE record_id = OLD.id;
    RETURN NULL;
END;
$$;

CREATE FUNCTION search_put(p_kind text, p_record uuid, p_project uuid, p_title text, p_body text)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO search_docs (kind, record_id, project_id, title, body)
    VALUES (p_kind, p_record, p_project, p_title, p_body)
    ON CONFLICT (record_id) DO UPDATE SET project_id = excluded.project_id, title = excluded.title,
                                          body = excluded.body
$$;

CREATE FUNCTION projects_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_put('project', NEW.id, NEW.id, NEW.code || ' ' || NEW.name,
        concat_ws(' · ', NULLIF(NEW.description, ''), NULLIF(NEW.location, ''), NULLIF(NEW.contract_number, '')));
    RETURN NULL;
END;
$$;
CREATE TRIGGER projects_search_insert AFTER INSERT ON projects
    FOR EACH ROW EXECUTE FUNCTION projects_search();
CREATE TRIGGER projects_search_update AFTER UPDATE OF code, name, description, location, contract_number ON projects
    FOR EACH ROW WHEN (NEW.code IS DISTINCT FROM OLD.code OR NEW.name IS DISTINCT FROM OLD.name
        OR NEW.description IS DISTINCT FROM OLD.description OR NEW.location IS DISTINCT FROM OLD.location
        OR NEW.contract_number IS DISTINCT FROM OLD.contract_number)
    EXECUTE FUNCTION projects_search();
CREATE TRIGGER projects_search_delete AFTER DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION search_forget();

CREATE FUNCTION clients_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_put('client', NEW.id, NULL, NEW.name,
        concat_ws(' · ', NULLIF(NEW.client_type, ''), NULLIF(NEW.address, ''), NULLIF(NEW.website, ''),
                  NULLIF(NEW.notes, '')));
    RETURN NULL;
END;
$$;
CREATE TRIGGER clients_search_insert AFTER INSERT ON clients
    FOR EACH ROW EXECUTE FUNCTION clients_search();
CREATE TRIGGER clients_search_update AFTER UPDATE OF name, client_type, address, website, notes ON clients
    FOR EACH ROW WHEN (NEW.name IS DISTINCT FROM OLD.name OR NEW.client_type IS DISTINCT FROM OLD.client_type
        OR NEW.address IS DISTINCT FROM OLD.address OR NEW.website IS DISTINCT FROM OLD.website
        OR NEW.notes IS DISTINCT FROM OLD.notes)
    EXECUTE FUNCTION clients_search();
CREATE TRIGGER clients_search_delete AFTER DELETE ON clients
    FOR EACH ROW EXECUTE FUNCTION search_forget();

CREATE FUNCTION users_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_put('person', NEW.id, NULL, NEW.name, concat_ws(' · ', NEW.email, NULLIF(NEW.job_title, '')));
    RETURN NULL;
END;
$$;
CREATE TRIGGER users_search_insert AFTER INSERT ON users
    FOR EACH ROW EXECUTE FUNCTION users_search();
CREATE TRIGGER users_search_update AFTER UPDATE OF name, email, job_title ON users
    FOR EACH ROW WHEN (NEW.name IS DISTINCT FROM OLD.name OR NEW.email IS DISTINCT FROM OLD.email
        OR NEW.job_title IS DISTINCT FROM OLD.job_title)
    EXECUTE FUNCTION users_search();
CREATE TRIGGER users_search_delete AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION search_forget();

CREATE FUNCTION tasks_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_put('task', NEW.id, NEW.project_id, NEW.title, coalesce(NEW.description, ''));
    RETURN NULL;
END;
$$;
CREATE TRIGGER tasks_search_insert AFTER INSERT ON tasks
    FOR EACH ROW EXECUTE FUNCTION tasks_search();
CREATE TRIGGER tasks_search_update AFTER UPDATE OF title, description, project_id ON tasks
    FOR EACH ROW WHEN (NEW.title IS DISTINCT FROM OLD.title OR NEW.description IS DISTINCT FROM OLD.description
        OR NEW.project_id IS DISTINCT FROM OLD.project_id)
    EXECUTE FUNCTION tasks_search();
CREATE TRIGGER tasks_search_delete AFTER DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION search_forget();

CREATE FUNCTION scope_items_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_put('scope_item', NEW.id, NEW.project_id, NEW.code || ' ' || NEW.name,
        concat_ws(' · ', NULLIF(NEW.description, ''), NULLIF(NEW.location, '')));
    RETURN NULL;
END;
$$;
CREATE TRIGGER scope_items_search_insert AFTER INSERT ON scope_items
    FOR EACH ROW EXECUTE FUNCTION scope_items_search();
CREATE TRIGGER scope_items_search_update AFTER UPDATE OF code, name, description, location, project_id ON scope_items
    FOR EACH ROW WHEN (NEW.code IS DISTINCT FROM OLD.code OR NEW.name IS DISTINCT FROM OLD.name
        OR NEW.description IS DISTINCT FROM OLD.description OR NEW.location IS DISTINCT FROM OLD.location
        OR NEW.project_id IS DISTINCT FROM OLD.project_id)
    EXECUTE FUNCTION scope_items_search();
CREATE TRIGGER scope_items_search_delete AFTER DELETE ON scope_items
    FOR EACH ROW EXECUTE FUNCTION search_forget();

CREATE FUNCTION drawings_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_put('drawing', NEW.id, NEW.project_id, NEW.number || ' ' || NEW.title, coalesce(NEW.area, ''));
    RETURN NULL;
END;
$$;
CREATE TRIGGER drawings_search_insert AFTER INSERT ON drawings
    FOR EACH ROW EXECUTE FUNCTION drawings_search();
CREATE TRIGGER drawings_search_update AFTER UPDATE OF number, title, area, project_id ON drawings
    FOR EACH ROW WHEN (NEW.number IS DISTINCT FROM OLD.number OR NEW.title IS DISTINCT FROM OLD.title
        OR NEW.area IS DISTINCT FROM OLD.area OR NEW.project_id IS DISTINCT FROM OLD.project_id)
    EXECUTE FUNCTION drawings_search();
CREATE TRIGGER drawings_search_delete AFTER DELETE ON drawings
    FOR EACH ROW EXECUTE FUNCTION search_forget();

CREATE FUNCTION specs_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM search_put('spec', NEW.id, NEW.project_id, NEW.code || ' ' || NEW.description,
        concat_ws(' · ', NULLIF(NEW.material, ''), NULLIF(NEW.finish, ''), NULLIF(NEW.colour, ''),
                  NULLIF(NEW.hardware, ''), NULLIF(NEW.supplier, ''), NULLIF(NEW.part_number, ''),
                  NULLIF(NEW.location, '')));
    RETURN NULL;
END;
$$;
CREATE TRIGGER specs_search_insert AFTER INSERT ON specs
    FOR EACH ROW EXECUTE FUNCTION specs_search();
CREATE TRIGGER specs_search_update AFTER UPDATE OF code, description, material, finish, colour, hardware, supplier,
    part_number, location, project_id ON specs
    FOR EACH ROW WHEN (NEW.code IS DISTINCT FROM OLD.code OR NEW.description IS DISTINCT FROM OLD.description
        OR NEW.material IS DISTINCT FROM OLD.material OR NEW.finish IS DISTINCT FROM OLD.finish
        OR NEW.colour IS DISTINCT FROM OLD.colour OR NEW.hardware IS DISTINCT FROM OLD.hardware
        OR NEW.supplier IS DISTINCT FROM OLD.supplier OR NEW.part_number IS DISTINCT FROM OLD.part_number
        OR NEW.location IS DISTINCT FROM OLD.location OR NEW.project_id IS DISTINCT FROM OLD.project_id)
    EXECUTE FUNCTION specs_search();
CREATE TRIGGER specs_search_delete AFTER DELETE ON specs
    FOR EACH ROW EXECUTE FUNCTION search_forget();

-- A comment is found while it is not deleted; editing it re-indexes its text.
CREATE FUNCTION comments_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.deleted_at IS NULL THEN
        PERFORM search_put('comment', NEW.id, NEW.project_id, '', NEW.body);
    ELSE
        DELETE FROM search_docs WHERE record_id = NEW.id;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER comments_search_insert AFTER INSERT ON comments
    FOR EACH ROW EXECUTE FUNCTION comments_search();
CREATE TRIGGER comments_search_update AFTER UPDATE OF body, deleted_at ON comments
    FOR EACH ROW WHEN (NEW.body IS DISTINCT FROM OLD.body OR NEW.deleted_at IS DISTINCT FROM OLD.deleted_at)
    EXECUTE FUNCTION comments_search();
CREATE TRIGGER comments_search_delete AFTER DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION search_forget();
