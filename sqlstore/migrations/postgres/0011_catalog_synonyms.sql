-- Catalog search synonyms and abbreviations (检索同义词): a query word that
-- contains term also searches for the text with term replaced by expansion
-- (社保缴费 → 社会保险缴费). The city data authority extends the list on
-- /catalog/synonyms; every change is audited and bumps the catalog
-- generation, so cached search answers end with it (R8.5).
CREATE TABLE catalog_synonyms (
    id         BIGSERIAL PRIMARY KEY,
    term       TEXT    NOT NULL,
    expansion  TEXT    NOT NULL,
    created_by BIGINT  NOT NULL,              -- user id; 0 for the seeded list
    created_at BIGINT  NOT NULL,
    UNIQUE (term, expansion)
);

-- The seeded list: common abbreviations of Zhongwei's public data.
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('社保', '社会保险', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('医保', '医疗保障', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('医保', '医疗保险', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('公积金', '住房公积金', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('身份证号', '公民身份号码', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('身份证', '公民身份号码', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('身份证', '居民身份证', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('营业执照', '市场主体', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('营业执照', '企业登记', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('工商', '市场主体', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('低保', '最低生活保障', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('残疾证', '残疾人证', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('户口', '户籍', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('驾照', '驾驶证', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('车牌', '机动车号牌', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('不动产证', '不动产权', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('房产', '不动产', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('出生证', '出生医学证明', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('社会信用代码', '统一社会信用代码', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('信用代码', '统一社会信用代码', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('养老金', '养老保险', 0, 0);
INSERT INTO catalog_synonyms (term, expansion, created_by, created_at) VALUES ('失业金', '失业保险', 0, 0);
