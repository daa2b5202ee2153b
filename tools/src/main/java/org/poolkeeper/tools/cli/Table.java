package org.poolkeeper.tools.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain text table: a header row and left-aligned columns two spaces apart. */
final class Table {
    private final String[] header;
    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
        this.header = header;
    }

    Table row(Object... cells) {
        String[] r = new String[header.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = i < cells.length && cells[i] != null ? cells[i].toString() : "";
        }
        rows.add(r);
        return this;
    }

    int size() {
        return rows.size();
    }

    void print(PrintWriter out) {
        print(out, null);
    }

    /**
     * Prints the rows; with {@code widths} null, first the header, the columns as wide as their widest cell.
     * Given the widths an earlier part of the same table returned, only the rows, in those columns (a longer
     * cell shifts the rest of its row): how a table too long to hold is printed part by part.
     *
     * @return the column widths used
     */
    int[] print(PrintWriter out, int[] widths) {
        int[] width = widths;
        if (width == null) {
            width = new int[header.length];
            for (int i = 0; i < header.length; i++) {
                width[i] = header[i].length();
                for (String[] r : rows) {
                    width[i] = Math.max(width[i], r[i].length());
                }
            }
            line(out, header, width);
        }
        for (String[] r : rows) {
            line(out, r, width);
        }
        out.flush();
        return width;
    }

    private static void line(PrintWriter out, String[] cells, int[] width) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            b.append(cells[i]);
            if (i < cells.length - 1) {
                b.append(" ".repeat(Math.max(1, width[i] - cells[i].length() + 2)));
            }
        }
        out.println(b.toString().stripTrailing());
    }
}
