import S3
import Testing

@Suite("XML reading", .timeLimit(.minutes(1)))
struct XMLTreeTests {
    private func parse(_ text: String) throws -> XMLTree { try XMLTree.parse(Array(text.utf8)) }

    @Test func readsAListingWithNamespacesAttributesAndEntities() throws {
        let tree = try parse("""
            \u{FEFF}<?xml version="1.0" encoding="UTF-8"?>
            <!-- a comment before the root -->
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Name>bucket</Name>
              <Contents><Key>a &amp; b &lt;c&gt; &#233;&#x4E2D;.txt</Key><ETag>&quot;0cc1&quot;</ETag><Size>3</Size></Contents>
              <Contents><Key><![CDATA[x<y>&z]]></Key><Owner id='o"1>'/></Contents>
              <IsTruncated>false</IsTruncated>
            </ListBucketResult>
            """)
        #expect(tree.name == "ListBucketResult")
        let contents = tree.children("Contents")
        #expect(contents.count == 2)
        #expect(contents[0].text("Key") == "a & b <c> é中.txt")
        #expect(contents[0].text("ETag") == "\"0cc1\"")
        #expect(contents[1].text("Key") == "x<y>&z")
        #expect(contents[1].child("Owner")?.text == "")
        #expect(tree.find("IsTruncated")?.text == "false")
    }

    @Test func dropsNamespacePrefixesAndNormalisesLineEnds() throws {
        let tree = try parse("<s3:Error xmlns:s3=\"u\"><s3:Message>one\r\ntwo\rthree&#13;</s3:Message><!-- x --><?pi ?></s3:Error>")
        #expect(tree.name == "Error")
        #expect(tree.text("Message") == "one\ntwo\nthree\r", "a CR written as a reference survives")
    }

    @Test func controlCharactersWrittenAsReferencesAreRead() throws {
        // S3 without encoding-type=url, and RGW even with it, write a key's control characters as references.
        #expect(try parse("<Key>control&#x01;char&#31;</Key>").text == "control\u{01}char\u{1F}")
    }

    @Test func keepsTextAsWrittenAndSerialisesBack() throws {
        let tree = try parse("<Delete><Object><Key>  spaced  key </Key></Object><Quiet>true</Quiet></Delete>")
        #expect(tree.child("Object")?.text("Key") == "  spaced  key ")
        #expect(try parse(tree.serialized) == tree.withoutWhitespaceText)
    }

    @Test(arguments: [
        ("", "no root element"),
        ("   ", "no root element"),
        ("<A><B></A>", "</A> closes <B>"),
        ("<A>text", "<A> is never closed"),
        ("<A>&nbsp;</A>", "the entity &nbsp; is not defined"),
        ("<A>&#0;</A>", "is not an XML character"),
        ("<A>&#xD800;</A>", "is not an XML character"),
        ("<A>a & b</A>", "entity"),
        ("<A></A><B/>", "content after the root element"),
        ("<!DOCTYPE A [<!ENTITY x \"y\">]><A>&x;</A>", "document type declaration"),
        ("<A x=\"1></A>", "unterminated"),
        ("<A><!-- never closed</A>", "unterminated markup"),
        ("<>", "an element without a name"),
    ])
    func refusesWhatIsNotWellFormed(document: String, reason: String) {
        #expect {
            try parse(document)
        } throws: { error in
            "\(error)".contains(reason) && "\(error)".contains("not valid XML")
        }
    }
}

extension XMLTree {
    /// The tree as `serialized` writes it: text is kept only in elements without children.
    fileprivate var withoutWhitespaceText: XMLTree {
        XMLTree(name: name, text: children.isEmpty ? text : "", children: children.map(\.withoutWhitespaceText))
    }
}
