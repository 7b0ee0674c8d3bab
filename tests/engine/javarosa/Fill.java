// Fills an XForm in JavaRosa (the engine inside ODK Collect) the way a cadre swipes through it:
// question by question, answering from a list, adding repeat instances when asked, checking each
// answer's constraint on the way (Collect refuses to move on past a violated constraint).
//
// Usage: java -cp ODK_Validate.jar:<dir> Fill FORM.xml MEDIA_DIR < answers.tsv > result.json
// answers.tsv lines: <ref>\t<value>   refs are 1-based for repeats: /data/member[2]/name
// Output JSON: {"violations": [{"ref", "condition", "message"}], "unanswered_required": [...],
//   "validate": null | {"ref", "outcome"}, "values": {ref: value}, "instance": "<xml>"}
// JavaRosa ships inside pyxform's ODK_Validate.jar; nothing else is needed.
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;

import org.javarosa.core.model.*;
import org.javarosa.core.model.data.*;
import org.javarosa.core.model.data.helper.Selection;
import org.javarosa.core.model.instance.*;
import org.javarosa.core.model.utils.DateUtils;
import org.javarosa.core.reference.*;
import org.javarosa.form.api.*;
import org.javarosa.model.xform.XFormSerializingVisitor;
import org.javarosa.xform.util.XFormUtils;

public class Fill {
    static final class MediaReference implements Reference {
        private final File file;
        private final String uri;
        MediaReference(File file, String uri) { this.file = file; this.uri = uri; }
        public boolean doesBinaryExist() { return file.exists(); }
        public InputStream getStream() throws IOException { return new FileInputStream(file); }
        public String getURI() { return uri; }
        public String getLocalURI() { return file.getAbsolutePath(); }
        public boolean isReadOnly() { return true; }
        public OutputStream getOutputStream() throws IOException { throw new IOException("read-only"); }
        public void remove() throws IOException { throw new IOException("read-only"); }
        public Reference[] probeAlternativeReferences() { return new Reference[0]; }
    }

    static final class MediaFactory implements ReferenceFactory {
        private final File dir;
        MediaFactory(File dir) { this.dir = dir; }
        public boolean derives(String uri) { return uri.startsWith("jr://file-csv/") || uri.startsWith("jr://file/"); }
        public Reference derive(String uri) {
            return new MediaReference(new File(dir, uri.substring(uri.lastIndexOf('/') + 1)), uri);
        }
        public Reference derive(String uri, String context) { return derive(uri); }
    }

    static String json(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c)); else b.append(c);
            }
        }
        return b.append('"').toString();
    }

    // "/data/member[2]/name" for a JavaRosa reference (multiplicity + 1 on repeated nodes).
    static String path(TreeReference ref) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < ref.size(); i++) {
            b.append('/').append(ref.getName(i));
            int mult = ref.getMultiplicity(i);
            if (mult >= 0 && i > 0 && isRepeat(ref, i)) b.append('[').append(mult + 1).append(']');
        }
        return b.toString();
    }

    static Set<String> repeatNames = new HashSet<>();
    static boolean isRepeat(TreeReference ref, int i) { return repeatNames.contains(ref.getName(i)); }

    static IAnswerData answer(FormEntryPrompt prompt, String value) {
        switch (prompt.getDataType()) {
            case Constants.DATATYPE_INTEGER: return new IntegerData(Integer.parseInt(value));
            case Constants.DATATYPE_DECIMAL: return new DecimalData(Double.parseDouble(value));
            case Constants.DATATYPE_DATE: return new DateData(DateUtils.parseDate(value));
            case Constants.DATATYPE_GEOPOINT: {
                String[] parts = value.trim().split("\\s+");
                double[] d = new double[4];
                for (int i = 0; i < parts.length && i < 4; i++) d[i] = Double.parseDouble(parts[i]);
                return new GeoPointData(d);
            }
            case Constants.DATATYPE_CHOICE: {
                for (SelectChoice c : prompt.getSelectChoices())
                    if (c.getValue().equals(value)) return new SelectOneData(c.selection());
                throw new IllegalArgumentException("no choice " + value);
            }
            case Constants.DATATYPE_CHOICE_LIST: {
                List<Selection> sel = new ArrayList<>();
                for (String v : value.trim().split("\\s+"))
                    for (SelectChoice c : prompt.getSelectChoices())
                        if (c.getValue().equals(v)) sel.add(c.selection());
                return new SelectMultiData(sel);
            }
            default: return new StringData(value);
        }
    }

    static void collect(TreeElement el, String prefix, Map<String, String> out) {
        for (int i = 0; i < el.getNumChildren(); i++) {
            TreeElement child = el.getChildAt(i);
            if (child.getMult() == TreeReference.INDEX_TEMPLATE) continue;
            String p = prefix + "/" + child.getName()
                    + (repeatNames.contains(child.getName()) ? "[" + (child.getMult() + 1) + "]" : "");
            if (child.getNumChildren() == 0) {
                IAnswerData v = child.getValue();
                out.put(p, v == null ? "" : v.uncast().getString());
            } else {
                collect(child, p, out);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        ReferenceManager.instance().addReferenceFactory(new MediaFactory(new File(args[1])));
        Map<String, String> answers = new LinkedHashMap<>();
        Map<String, Integer> wanted = new HashMap<>();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            if (line.isEmpty()) continue;
            String[] kv = line.split("\t", 2);
            answers.put(kv[0], kv.length > 1 ? kv[1] : "");
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("/(\\w+)\\[(\\d+)\\]").matcher(kv[0]);
            while (m.find()) {
                repeatNames.add(m.group(1));
                wanted.merge(m.group(1), Integer.parseInt(m.group(2)), Math::max);
            }
        }
        String xml = new String(Files.readAllBytes(Paths.get(args[0])), StandardCharsets.UTF_8);
        for (java.util.regex.Matcher m = java.util.regex.Pattern.compile("<repeat nodeset=\"[^\"]*/(\\w+)\"").matcher(xml); m.find(); )
            repeatNames.add(m.group(1));
        FormDef form = XFormUtils.getFormFromInputStream(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        form.initialize(true, new InstanceInitializationFactory());
        FormEntryModel model = new FormEntryModel(form);
        FormEntryController fec = new FormEntryController(model);
        StringBuilder violations = new StringBuilder();
        StringBuilder unanswered = new StringBuilder();
        Map<String, Integer> created = new HashMap<>();
        int guard = 0;
        for (int event = fec.stepToNextEvent(); event != FormEntryController.EVENT_END_OF_FORM; event = fec.stepToNextEvent()) {
            if (++guard > 100000) throw new IllegalStateException("form navigation did not end");
            if (event == FormEntryController.EVENT_PROMPT_NEW_REPEAT) {
                TreeReference ref = model.getFormIndex().getReference();
                String name = ref.getName(ref.size() - 1);
                int have = created.getOrDefault(name, 0);
                if (have < wanted.getOrDefault(name, 0)) {
                    fec.newRepeat();
                    created.put(name, have + 1);
                }
            } else if (event == FormEntryController.EVENT_REPEAT) {
                TreeReference ref = model.getFormIndex().getReference();
                String name = ref.getName(ref.size() - 1);
                created.merge(name, 0, Math::max);
                created.put(name, Math.max(created.get(name), ref.getMultiplicity(ref.size() - 1) + 1));
            } else if (event == FormEntryController.EVENT_QUESTION) {
                FormIndex index = model.getFormIndex();
                FormEntryPrompt prompt = model.getQuestionPrompt();
                String ref = path(index.getReference());
                if (answers.containsKey(ref)) {
                    IAnswerData data = answer(prompt, answers.get(ref));
                    int result = fec.answerQuestion(index, data, true);
                    if (result != FormEntryController.ANSWER_OK) {
                        String cond = result == FormEntryController.ANSWER_CONSTRAINT_VIOLATED ? "constraint" : "required";
                        if (violations.length() > 0) violations.append(',');
                        violations.append("{\"ref\":").append(json(ref)).append(",\"condition\":").append(json(cond))
                                .append(",\"message\":").append(json(prompt.getConstraintText())).append('}');
                    }
                } else if (prompt.isRequired() && prompt.getAnswerValue() == null && !prompt.isReadOnly()) {
                    if (unanswered.length() > 0) unanswered.append(',');
                    unanswered.append(json(ref));
                }
            }
        }
        ValidateOutcome outcome = form.validate(true);
        form.postProcessInstance();
        Map<String, String> values = new TreeMap<>();
        TreeElement root = form.getMainInstance().getRoot();
        collect(root, "/" + root.getName(), values);
        StringBuilder v = new StringBuilder();
        for (Map.Entry<String, String> e : values.entrySet()) {
            if (v.length() > 0) v.append(',');
            v.append(json(e.getKey())).append(':').append(json(e.getValue()));
        }
        byte[] instance = new XFormSerializingVisitor().serializeInstance(form.getInstance());
        String validate = outcome == null ? "null"
                : "{\"ref\":" + json(path(outcome.failedPrompt.getReference())) + ",\"outcome\":" + outcome.outcome + "}";
        System.out.print("{\"violations\":[" + violations + "],\"unanswered_required\":[" + unanswered
                + "],\"validate\":" + validate + ",\"values\":{" + v + "},\"instance\":"
                + json(new String(instance, StandardCharsets.UTF_8)) + "}");
    }
}
