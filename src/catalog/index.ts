// The catalogue: list formats (UT1 folders, hosts, adblock-style, plain, tsv), the starter
// catalogue of common sites, the category vocabulary and mapping, and the compiled suffix table.
export { HostHashes, hashHostSuffixes, hashHostSpan, hashCheckedSpan, hashWhole } from './host-hashes.ts';
export { SuffixTable } from './suffix-table.ts';
export { Catalogue, SNAPSHOT_VERSION } from './catalogue.ts';
export { CatalogueBuilder, type SiteFact } from './catalogue-builder.ts';
export { standardCategories, defaultCategoryMap, resolveCategoryMap, mapSourceCategories, type StandardCategory } from './categories.ts';
export { parseListFile, readListText, sourceCategoryName, defaultListName, listFormats, type ListFormat, type ListProblem, type ParsedList } from './parse-list.ts';
export { normaliseEntry, normaliseIp, isPublicSuffix, type EntryResult } from './normalise-entry.ts';
export { starterCatalogue, parseStarter, addStarter, STARTER_LIST, type StarterSite } from './starter.ts';
export { importList, loadCatalogue, buildCatalogue, snapshotPath, listsDir, type ImportReport, type CatalogueListInput } from './catalogue-store.ts';
export { catalogueStats, whichHost, type CatalogueStats, type HostMatch } from './catalogue-query.ts';
