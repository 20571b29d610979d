/** Renderers: columns, plain sections, tables, JSON, HTML and probability tints, for every command. */
export {COLUMN_SEPARATOR, columnsPerRow, renderColumns, type ColumnOptions, type ColumnSection} from "./columns.js";
export {compareJson, metricsTable, renderComparePlain, renderCompareTerminal, tintedText, type TerminalOptions} from "./compare.js";
export {explainJson, probabilityBar, renderExplain, type ExplainReport, type ExplainReportStep} from "./explain.js";
export {chartSvg, escapeHtml, probabilityColor, renderHtml} from "./html.js";
export {renderTable, tableLayout, tableWidth, type TableLayout, type TableSpec} from "./table.js";
export {displayWidth, padEnd, padStart, truncate, visibleToken, wrap} from "./text.js";
export {PROBABILITY_BANDS, ProbabilityTinter, probabilityBand, probabilityLegend, tintByProbability} from "./tint.js";
export type {AlternativeRecord, CompareReport, SampleRecord, StrategyRecord, TokenRecord} from "./types.js";
