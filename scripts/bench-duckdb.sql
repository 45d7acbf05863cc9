-- The DuckDB side of scripts/bench-plan.sh: the same job as
-- `changeset plan "take 10% off all running shoes"` on a generated catalog. Read the CSV, compute
-- the promo price round_half_up(Base Price x 0.9, 2) for the Running category, and write every
-- cell that changes (Promo Price whose value differs, Promo Active not already TRUE) as JSON
-- lines {"key","field","before","after"}. $catalog and $out are filled in by bench-duckdb.py.
COPY (
    WITH running AS (
        SELECT "SKU" AS key,
               "Promo Price" AS promo,
               "Promo Active" AS active,
               round(CAST("Base Price" AS DECIMAL(18, 2)) * 0.9, 2) AS new_promo
        FROM read_csv($catalog, header = true, all_varchar = true)
        WHERE trim("Category") = 'Running'
    )
    SELECT key, 'Promo Price' AS field, promo AS before, CAST(new_promo AS VARCHAR) AS after
    FROM running
    WHERE promo IS NULL OR CAST(promo AS DECIMAL(18, 2)) <> new_promo
    UNION ALL
    SELECT key, 'Promo Active', active, 'TRUE'
    FROM running
    WHERE active IS NULL OR upper(trim(active)) <> 'TRUE'
) TO $out (FORMAT json);
