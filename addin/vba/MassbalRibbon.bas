Attribute VB_Name = "MassbalRibbon"
Option Explicit
' The Mass Balance ribbon. Every button runs one Python entry point of
' massbal.excel.entry through xlwings' RunPython; the entry point's name is the
' button's Tag in customUI14.xml, so one callback serves every plain button.

Public Sub MassbalRun(control As IRibbonControl)
    RunEntry control.Tag, ""
End Sub

Public Sub MassbalTraceLot(control As IRibbonControl)
    Dim lot As String
    lot = InputBox("Lot to trace back to its receipts and forward to its shipments:", _
                   "Trace lot", SelectedText())
    If Len(Trim$(lot)) = 0 Then Exit Sub
    RunEntry "trace_lot", lot
End Sub

Public Sub MassbalClosePeriod(control As IRibbonControl)
    Dim through As String
    through = InputBox("Close every period up to this date (YYYY-MM-DD). Later changes to rows " & _
                       "dated on or before it are errors; corrections go in new rows.", _
                       "Close period", Format$(DateSerial(Year(Date), Month(Date), 0), "yyyy-mm-dd"))
    If Len(Trim$(through)) = 0 Then Exit Sub
    RunEntry "close_period", through
End Sub

Public Sub MassbalReopen(control As IRibbonControl)
    Dim through As String, reason As String
    through = InputBox("The date the workbook is closed through (YYYY-MM-DD):", "Reopen")
    If Len(Trim$(through)) = 0 Then Exit Sub
    reason = InputBox("Why is it reopened? The Change log keeps the reason for the inspector.", "Reopen")
    If Len(Trim$(reason)) = 0 Then Exit Sub
    RunEntry "reopen_period", through & vbLf & reason
End Sub

Public Sub MassbalHelp(control As IRibbonControl)
    MsgBox "Reconcile: balances every item over every month, compares them with your " & _
           "counts and writes the Balance, Supply, Yield, Exceptions and Ledger sheets." & vbLf & vbLf & _
           "Validate lots: lists every problem in your input sheets on the Exceptions sheet." & vbLf & vbLf & _
           "Trace lot: follows a lot back to its receipts and certificates and forward to its customers." & vbLf & vbLf & _
           "Export for inspector: writes a macro-free copy next to this workbook." & vbLf & vbLf & _
           "Close period / Reopen: closes every period up to a date (later changes to its rows are " & _
           "errors) or reopens it with a reason; every write is kept on the Change log sheet." & vbLf & vbLf & _
           "New workbook: opens an empty workbook with every input table." & vbLf & vbLf & _
           "Worksheet functions: =MASSBAL(item, start, end) is the expected ending balance; " & _
           "MASSBAL_VARIANCE, MASSBAL_STATUS and the others give the other figures." & vbLf & vbLf & _
           "If a button reports that Python cannot be found, run 'massbal addin install' again " & _
           "from the Python that has massbal installed.", vbInformation, "Mass Balance"
End Sub

Private Function SelectedText() As String
    ' The selected cell's text, offered as the lot to trace; nothing when the
    ' selection is not a cell (a chart, a shape) or holds an error.
    On Error Resume Next
    If TypeName(Selection) = "Range" Then SelectedText = Trim$(CStr(Selection.Cells(1, 1).Value))
End Function

Private Sub RunEntry(entry As String, argument As String)
    If ActiveWorkbook Is Nothing And entry <> "new_workbook" Then
        MsgBox "Open your mass balance workbook first.", vbExclamation, "Mass Balance"
        Exit Sub
    End If
    RunPython "import massbal.excel.entry as entry; entry." & entry & "(" & HexArgument(argument) & ")"
End Sub

Private Function HexArgument(text As String) As String
    ' Text typed by the user travels to Python as UTF-16 hex digits, so no lot name
    ' (quotes, backslashes, accents) can break the command line RunPython builds.
    Dim i As Long, hexText As String
    If Len(text) = 0 Then Exit Function
    For i = 1 To Len(text)
        hexText = hexText & Right$("000" & Hex$(AscW(Mid$(text, i, 1)) And &HFFFF&), 4)
    Next i
    HexArgument = """" & hexText & """"
End Function
