#!/bin/sh
# Writes sitewatch(1) to OUT from the program's own help texts, so that the
# page says what --help says: the overview, then one section per command
# ('sitewatch COMMAND --help'), then exit status, environment and files.
# Usage: make-man.sh SITEWATCH OUT VERSION
set -eu
sw=$1 out=$2 version=$3
tmp=$out.tmp
# roff: a help text as literal, unfilled lines (backslashes and leading dots escaped)
lit() { sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\&'/"; }
{
    printf '.TH SITEWATCH 1 "" "sitewatch %s" "User Commands"\n' "$version"
    printf '.SH NAME\nsitewatch \\- change detection from orbit: detect, watch sites, alert, report\n'
    printf '.SH SYNOPSIS\n.B sitewatch\n[\\fB\\-\\-db\\fR \\fICATALOG\\fR] [\\fB\\-\\-chips\\fR \\fIDIR\\fR] [\\fB\\-\\-config\\fR \\fIKEY VALUE\\fR] \\fICOMMAND\\fR [\\fIoptions\\fR]\n'
    printf '.SH DESCRIPTION\n.nf\n'
    "$sw" --help | lit
    printf '.fi\n'
    for cmd in detect eval synth model site ingest timeline alerts export report enqueue worker jobs demo; do
        printf '.SH "sitewatch %s"\n.nf\n' "$cmd"
        "$sw" "$cmd" --help | lit
        printf '.fi\n'
    done
    cat <<'ROFF'
.SH EXIT STATUS
.TP
.B 0
success
.TP
.B 1
the job failed: a bad file, no such site or alert, a name already taken, a failed write
.TP
.B 2
a bad command line (unknown option, missing argument, a value out of range)
.SH ENVIRONMENT
.TP
.B SITEWATCH_DB
the catalog when \fB\-\-db\fR is not given (else ./sitewatch.db); a file (SQLite) or postgresql://...
.TP
.B SITEWATCH_CHIPS
where site chips are kept when \fB\-\-chips\fR is not given (else CATALOG.chips beside a SQLite catalog)
.TP
.B SITEWATCH_MODEL
the model \fB\-m learned\fR uses when \fB\-\-model\fR is not given (a name or a file)
.SH FILES
.TP
.I share/sitewatch/models/*.swm
the shipped models (\fBsitewatch model list\fR)
.SH SEE ALSO
.BR gdalinfo (1),
.BR gdal_translate (1)
ROFF
} > "$tmp"
mv "$tmp" "$out"
