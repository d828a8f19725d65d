#pragma once
// Several captures into one output: `tcplab analyze A B` and a scenario's analysis.json. In JSON
// with labelled files the objects are wrapped in one document, {"files":[{"file":A,...},...]}.
#include <functional>
#include <string>
#include <vector>

#include "analyzer/report.hpp"
#include "base/errors.hpp"

namespace tcplab::analyzer {

using FileDone = std::function<void(const std::string& path, const FileOutcome& outcome)>;
using FileFailed = std::function<void(const std::string& path, const UsageError& error)>;

// Analyzes each file in turn into `out`, flushing after each one so that what the callbacks print
// comes after that file's report. options.json_separator goes between two JSON objects (not
// before the first one written). A file that cannot be read at all is passed to `failed` and
// skipped; without `failed` its UsageError propagates.
void analyze_files(const std::vector<std::string>& files, AnalyzeOptions options, Output& out,
                   const FileDone& done = {}, const FileFailed& failed = {});

}  // namespace tcplab::analyzer
